using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace HandiImaging.XnatDouble.Tests;

/// <summary>A raw HTTP client for the double: no cookie container, no redirects, so every header is the test's to see.</summary>
internal sealed class Raw : IDisposable
{
    public const string Agent = "HandiImaging-tests/1.0";
    private readonly HttpClient _http;

    public Raw(XnatDouble xnat, TimeSpan? timeout = null)
    {
        _http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = xnat.BaseUri,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
    }

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    public Task<HttpResponseMessage> Send(HttpMethod method, string path, AuthenticationHeaderValue? auth = null, string? cookie = null,
        string agent = Agent, object? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.UserAgent.ParseAdd(agent);
        if (auth is not null) request.Headers.Authorization = auth;
        if (cookie is not null) request.Headers.Add("Cookie", "JSESSIONID=" + cookie);
        if (json is not null)
            request.Content = new StringContent(json is string s ? s : JsonSerializer.Serialize(json), Encoding.UTF8, "application/json");
        return _http.SendAsync(request);
    }

    public Task<HttpResponseMessage> Get(string path, AuthenticationHeaderValue? auth = null, string? cookie = null, string agent = Agent) =>
        Send(HttpMethod.Get, path, auth, cookie, agent);

    public Task<HttpResponseMessage> Post(string path, object? json, AuthenticationHeaderValue? auth = null, string? cookie = null) =>
        Send(HttpMethod.Post, path, auth, cookie, Agent, json);

    /// <summary>Logs in (POST /data/JSESSION) and returns the session id.</summary>
    public async Task<string> Login(string user = "admin", string password = "secret")
    {
        using var response = await Send(HttpMethod.Post, "/data/JSESSION", Basic(user, password));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>GET as the given user (cookie from <see cref="Login"/>) and parse the ResultSet rows.</summary>
    public async Task<(List<Dictionary<string, JsonElement>> Rows, JsonElement ResultSet)> ResultSet(string path, string cookie)
    {
        using var response = await Get(path, cookie: cookie);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        var set = doc.RootElement.GetProperty("ResultSet").Clone();
        var rows = set.GetProperty("Result").EnumerateArray()
            .Select(r => r.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone())).ToList();
        return (rows, set);
    }

    public async Task<string> Text(string path, string cookie)
    {
        using var response = await Get(path, cookie: cookie);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
        return body;
    }

    public static IReadOnlyList<string> SetCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : new List<string>();

    public void Dispose() => _http.Dispose();
}

/// <summary>A double with the usual cast: project RT-HaND, an admin with Dqr, a member without it.</summary>
internal static class Doubles
{
    public static async Task<XnatDouble> Start(XnatDoubleOptions? options = null)
    {
        var xnat = await XnatDouble.StartAsync(options);
        xnat.State.AddProject("RT-HaND");
        xnat.State.AddProject("OTHER");
        xnat.State.AddUser("admin", "secret", new[] { "Administrator", "Dqr" });
        xnat.State.AddUser("member", "pw", projects: new[] { "RT-HaND" });
        xnat.State.AddUser("dqruser", "pw", new[] { "Dqr" }, new[] { "RT-HaND" });
        return xnat;
    }

    public static XnatExperiment Session(string label, string type = "xnat:mrSessionData", string project = "RT-HaND", string uid = "", string date = "2024-02-03", int scans = 2)
    {
        var e = new XnatExperiment
        {
            Project = project,
            Label = label,
            SubjectLabel = "SUBJ_" + label,
            XsiType = type,
            Date = DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture),
            Uid = uid.Length > 0 ? uid : "1.2.826.0.1." + label.GetHashCode(StringComparison.Ordinal).ToString("X", System.Globalization.CultureInfo.InvariantCulture),
            Scanner = "Avanto",
            Modality = type[5..7].ToUpperInvariant(),
            AccessionNumber = label,
        };
        for (var i = 1; i <= scans; i++) e.Scans.Add(new XnatScan { Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture), Type = "T" + i, SeriesDescription = "series " + i });
        return e;
    }
}
