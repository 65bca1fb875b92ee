using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace HandiImaging.XnatDouble.Tests;

/// <summary>Switchable faults (500 with HTML, slow answers), request counting, the control API and process mode.</summary>
public sealed class FaultTests
{
    private const string Listing = "/data/projects/RT-HaND/experiments";

    [Fact]
    public async Task A_500_fault_answers_Tomcat_HTML_for_N_matching_requests_then_the_real_answer()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        var id = await raw.Login();
        xnat.State.AddFault(new FaultRule { Method = "GET", PathPattern = "/experiments$", Status = 500, Times = 2 });
        for (var i = 0; i < 2; i++)
        {
            using var failed = await raw.Get(Listing, cookie: id);
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Equal("text/html", failed.Content.Headers.ContentType!.MediaType);
            Assert.Contains("HTTP Status 500", await failed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var other = await raw.Get("/data/JSESSION", cookie: id)) Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        using var ok = await raw.Get(Listing, cookie: id);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(3, xnat.State.Requests.Count("GET /data/projects/{project}/experiments"));
    }

    [Fact]
    public async Task A_fault_without_a_count_stays_until_cleared()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        var id = await raw.Login();
        xnat.State.AddFault(new FaultRule { PathPattern = "^/xapi/", Status = 503 });
        for (var i = 0; i < 3; i++)
        {
            using var r = await raw.Get("/xapi/pacs", cookie: id);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        }
        xnat.State.ClearFaults();
        using var ok = await raw.Get("/xapi/pacs", cookie: id);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task A_slow_answer_outlasts_a_client_timeout()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        using var impatient = new Raw(xnat, timeout: TimeSpan.FromSeconds(1));
        var id = await raw.Login();
        xnat.State.AddFault(new FaultRule { PathPattern = "/experiments$", DelayMilliseconds = 20_000, Times = 1 });
        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.Get(Listing, cookie: id));
        using var ok = await raw.Get(Listing, cookie: id);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task The_request_log_records_endpoint_status_user_and_whether_a_cookie_or_credentials_were_sent_never_the_secret()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        var id = await raw.Login();
        using (await raw.Get(Listing + "?format=csv", cookie: id)) { }
        using (await raw.Get(Listing)) { }
        var recent = xnat.State.Requests.Recent;
        Assert.Equal(3, recent.Count);
        Assert.Equal(("POST /data/JSESSION", 200, "admin", false, true), (recent[0].Endpoint, recent[0].Status, recent[0].User, recent[0].HadSessionCookie, recent[0].HadBasicCredentials));
        Assert.Equal(("?format=csv", "admin", true), (recent[1].Query, recent[1].User, recent[1].HadSessionCookie));
        Assert.Equal((401, (string?)null), (recent[2].Status, recent[2].User));
        Assert.DoesNotContain(recent, r => r.ToString().Contains("secret", StringComparison.Ordinal));
        Assert.Equal(2, xnat.State.Requests.Count("GET /data/projects/{project}/experiments"));
    }

    [Fact]
    public async Task The_control_API_seeds_expires_sessions_moves_the_clock_and_steps_DQR()
    {
        await using var xnat = await XnatDouble.StartAsync();
        using var http = new HttpClient { BaseAddress = xnat.BaseUri };
        var seed = """
            { "users": [{ "username": "admin", "password": "pw", "roles": ["Administrator", "Dqr"] }],
              "projects": [{ "id": "P" }],
              "sessions": [{ "project": "P", "label": "L1", "subjectLabel": "S1", "xsiType": "xnat:ctSessionData", "date": "2024-01-02", "uid": "1.9" }],
              "pacs": [{ "id": 1, "aeTitle": "PACS", "studies": [{ "studyInstanceUid": "2.1", "patientId": "H", "studyDate": "20240101", "studyId": "S2",
                         "series": [{ "seriesInstanceUid": "2.1.1", "modality": "MR" }] }] }] }
            """;
        using (var seeded = await http.PostAsync("/__double/seed", new StringContent(seed, System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, seeded.StatusCode);
        using var raw = new Raw(xnat);
        var id = await raw.Login("admin", "pw");
        var (rows, _) = await raw.ResultSet("/data/projects/P/experiments?columns=label,UID", id);
        Assert.Equal("1.9", Assert.Single(rows)["UID"].GetString());

        using (var sessions = await http.GetAsync("/__double/sessions"))
        using (var doc = JsonDocument.Parse(await sessions.Content.ReadAsStringAsync()))
            Assert.Equal(id, Assert.Single(doc.RootElement.GetProperty("live").EnumerateArray()).GetProperty("id").GetString());
        using (await http.PostAsync("/__double/clock/advance?seconds=960", null)) { }
        using (var expired = await raw.Get("/data/JSESSION", cookie: id)) Assert.NotEqual(id, await expired.Content.ReadAsStringAsync());

        id = await raw.Login("admin", "pw");
        using (await raw.Post("/xapi/dqr/import", new { pacsId = 1, aeTitle = "XNAT", port = 8104, projectId = "P", studies = new[] { new { studyInstanceUid = "2.1" } } }, cookie: id)) { }
        using (var run = await http.PostAsync("/__double/dqr/run", null))
        using (var doc = JsonDocument.Parse(await run.Content.ReadAsStringAsync()))
            Assert.True(doc.RootElement.GetProperty("steps").GetInt32() >= 3);
        using (var experiments = await http.GetAsync("/__double/experiments?project=P"))
        using (var doc = JsonDocument.Parse(await experiments.Content.ReadAsStringAsync()))
            Assert.Equal(new[] { "L1", "S2" }, doc.RootElement.EnumerateArray().Select(e => e.GetProperty("label").GetString()));

        using (await http.PostAsync("/__double/faults", new StringContent("""{ "pathPattern": "^/data/JSESSION$", "status": 502, "times": 1 }""", System.Text.Encoding.UTF8, "application/json"))) { }
        using (var bad = await raw.Get("/data/JSESSION", cookie: id)) Assert.Equal(HttpStatusCode.BadGateway, bad.StatusCode);
        using (var counts = await http.GetAsync("/__double/requests"))
        using (var doc = JsonDocument.Parse(await counts.Content.ReadAsStringAsync()))
            Assert.Equal(1, doc.RootElement.GetProperty("counts").GetProperty("POST /xapi/dqr/import").GetInt32());
        Assert.DoesNotContain(xnat.State.Requests.Counts.Keys, k => k.Contains("__double", StringComparison.Ordinal));
    }

    [Fact]
    public async Task As_a_process_it_prints_its_base_URL_serves_the_seed_and_stops_when_stdin_closes()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "HandiImaging.XnatDouble.dll");
        var seedPath = Path.Combine(Path.GetTempPath(), $"xnat-double-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(seedPath, """{ "users": [{ "username": "u", "password": "p" }], "projects": [{ "id": "P" }] }""");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--seed", seedPath, "--exit-on-stdin-close" }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Matches(@"^http://127\.0\.0\.1:\d+$", line);
            using var http = new HttpClient { BaseAddress = new Uri(line!) };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/data/JSESSION") { Headers = { Authorization = Raw.Basic("u", "p") } };
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
            File.Delete(seedPath);
        }
    }

    [Fact]
    public async Task As_a_process_a_bad_seed_is_a_clear_error()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "HandiImaging.XnatDouble.dll");
        var seedPath = Path.Combine(Path.GetTempPath(), $"xnat-double-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(seedPath, "{ \"users\": [ { \"username\": ");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "--seed", seedPath }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        try
        {
            var error = await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(2, process.ExitCode);
            Assert.Contains(seedPath, error, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
            File.Delete(seedPath);
        }
    }
}
