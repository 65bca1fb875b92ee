using System.Net;
using System.Text.Json;
using HandiImaging.XnatDouble.Dqr;

namespace HandiImaging.XnatDouble.Tests;

/// <summary>xnat.md §3–§4 against a seeded PACS: query, import, queue/history, the life cycle and its misbehaviours.</summary>
public sealed class DqrTests : IAsyncLifetime
{
    private XnatDouble _xnat = null!;
    private Raw _raw = null!;
    private string _admin = "";

    private static SeededStudy Study(string uid, string patientId, string accession, string date, params string[] seriesModalities) => new()
    {
        StudyInstanceUid = uid,
        PatientId = patientId,
        PatientName = "DOE^JANE",
        PatientSex = "F",
        StudyDate = date,
        StudyTime = "101500",
        AccessionNumber = accession,
        StudyDescription = "HEAD NECK " + accession,
        StudyId = "1",
        Series = seriesModalities.Select((m, i) => new SeededSeries
        {
            SeriesInstanceUid = $"{uid}.{i + 1}", SeriesNumber = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Modality = m, SeriesDescription = $"{m} series {i + 1}", Instances = 3,
        }).ToList(),
    };

    public async Task InitializeAsync()
    {
        _xnat = await Doubles.Start();
        _xnat.State.AddPacs(new PacsEntry
        {
            Id = 1, AeTitle = "PACS", Label = "Hospital PACS", DefaultQueryRetrievePacs = true,
            Studies = new List<SeededStudy>
            {
                Study("2.25.1", "H1", "ACC1", "20240105", "CT", "CT"),
                Study("2.25.2", "H1", "ACC2", "20240310", "MR"),
                Study("2.25.3", "H2", "ACC3", "20230101", "CT"),
                new SeededStudy { StudyInstanceUid = "2.25.9", PatientId = "H3", StudyDate = "20240101" }, // no series
            },
        });
        _raw = new Raw(_xnat);
        _admin = await _raw.Login();
    }

    public async Task DisposeAsync()
    {
        _raw.Dispose();
        await _xnat.DisposeAsync();
    }

    private static object ImportBody(params string[] uids) => new
    {
        pacsId = 1, aeTitle = "XNAT", port = 8104, projectId = "RT-HaND", forceImport = false,
        studies = uids.Select(u => new { studyInstanceUid = u, seriesInstanceUids = Array.Empty<string>(), seriesDescriptions = Array.Empty<string>(), relabelMap = new Dictionary<string, string> { ["Subject"] = "9434765919", ["Session"] = "S_" + u } }).ToArray(),
    };

    /// <summary>Retries move the clock by 300 s each, so the idle session expired meanwhile, as it would for real.</summary>
    private async Task Relogin() => _admin = await _raw.Login();

    private async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }

    private async Task<JsonElement> Get(string path, string? cookie = null)
    {
        using var response = await _raw.Get(path, cookie: cookie ?? _admin);
        return await Json(response);
    }

    private async Task<JsonElement> Import(object body, string? cookie = null)
    {
        using var response = await _raw.Post("/xapi/dqr/import", body, cookie: cookie ?? _admin);
        return await Json(response);
    }

    [Fact]
    public async Task PACS_list_entry_and_status_look_like_DQRs()
    {
        var list = await Get("/xapi/pacs");
        var pacs = Assert.Single(list.EnumerateArray());
        Assert.Equal(1, pacs.GetProperty("id").GetInt64());
        Assert.Equal("PACS", pacs.GetProperty("aeTitle").GetString());
        Assert.True(pacs.GetProperty("defaultQueryRetrievePacs").GetBoolean());
        Assert.Equal(JsonValueKind.Number, pacs.GetProperty("queryRetrievePort").ValueKind);
        var status = await Get("/xapi/pacs/1/status");
        Assert.True(status.GetProperty("successful").GetBoolean());
        Assert.Equal(1, status.GetProperty("pacsId").GetInt64());
        Assert.Equal(JsonValueKind.Number, status.GetProperty("pingTime").ValueKind);
        using var missing = await _raw.Get("/xapi/pacs/7/status", cookie: _admin);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("text/plain", missing.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Query_returns_studies_with_blank_fields_left_out_or_204_with_no_body()
    {
        using var response = await _raw.Post("/xapi/dqr/query/studies", new { pacsId = 0, patientId = "H1", studyDateFrom = "20240101", studyDateTo = "2024-02-01" }, cookie: _admin);
        var studies = await Json(response);
        var study = Assert.Single(studies.EnumerateArray());
        Assert.Equal("2.25.1", study.GetProperty("studyInstanceUid").GetString());
        Assert.Equal("2024-01-05", study.GetProperty("studyDate").GetString());
        Assert.Equal(new[] { "CT" }, study.GetProperty("modalitiesInStudy").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("DOE, JANE", study.GetProperty("patient").GetProperty("name").GetString());
        Assert.Equal("H1", study.GetProperty("patient").GetProperty("id").GetString());
        Assert.False(study.TryGetProperty("referringPhysicianName", out _));
        Assert.Equal(new[] { "studyInstanceUid", "studyId", "studyDescription", "accessionNumber", "studyDate", "modalitiesInStudy", "patient" },
            study.EnumerateObject().Select(p => p.Name));

        using var none = await _raw.Post("/xapi/dqr/query/studies", new { pacsId = 1, patientId = "NOBODY" }, cookie: _admin);
        Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);
        Assert.Empty(await none.Content.ReadAsByteArrayAsync());

        using var bad = await _raw.Post("/xapi/dqr/query/studies", new { pacsId = 1, studyDateFrom = "01/02/2024" }, cookie: _admin);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Without_the_Dqr_role_query_and_import_are_403_with_an_empty_body()
    {
        var member = await _raw.Login("member", "pw");
        foreach (var path in new[] { "/xapi/dqr/query/studies", "/xapi/dqr/import" })
        {
            using var response = await _raw.Post(path, path.EndsWith("import", StringComparison.Ordinal) ? ImportBody("2.25.1") : new { pacsId = 1 }, cookie: member);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
        using var queue = await _raw.Get("/xapi/dqr/import/queue", cookie: member);
        Assert.Equal(HttpStatusCode.Forbidden, queue.StatusCode);
    }

    [Fact]
    public async Task Import_queues_with_priority_1_alone_and_10_in_a_batch_and_drops_studies_without_series_silently()
    {
        var single = await Import(ImportBody("2.25.1"));
        var entry = Assert.Single(single.EnumerateArray());
        Assert.Equal(1, entry.GetProperty("priority").GetInt64());
        Assert.Equal("QUEUED", entry.GetProperty("status").GetString());
        Assert.Equal("XNAT:8104", entry.GetProperty("destinationAeTitle").GetString());
        Assert.Equal(new[] { "2.25.1.1", "2.25.1.2" }, entry.GetProperty("seriesIds").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("ACC1", entry.GetProperty("accessionNumber").GetString());
        Assert.Equal(JsonValueKind.Number, entry.GetProperty("queuedTime").ValueKind);
        Assert.Contains("(0010,0010) := \"9434765919\"", entry.GetProperty("remappingScript").GetString(), StringComparison.Ordinal);
        Assert.False(entry.TryGetProperty("executedTime", out _));
        Assert.False(entry.TryGetProperty("errorMessage", out _));

        _xnat.State.DqrFaults.DropStudies.Add("2.25.3");
        var batch = await Import(ImportBody("2.25.2", "2.25.3", "2.25.9", "2.25.404"));
        var queued = Assert.Single(batch.EnumerateArray());
        Assert.Equal("2.25.2", queued.GetProperty("studyInstanceUid").GetString());
        Assert.Equal(10, queued.GetProperty("priority").GetInt64());
        Assert.Equal(2, (await Get("/xapi/dqr/import/queue/count")).GetInt32());
    }

    [Fact]
    public async Task A_relabel_map_needs_a_custom_processing_receiver_unless_forced()
    {
        var toUnknown = new { pacsId = 1, aeTitle = "XNAT", port = 8105, projectId = "RT-HaND", forceImport = false, studies = new[] { new { studyInstanceUid = "2.25.1", relabelMap = new Dictionary<string, string> { ["Subject"] = "S" } } } };
        using var refused = await _raw.Post("/xapi/dqr/import", toUnknown, cookie: _admin);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.StartsWith("No remapping processors available for this SCP receiver", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        _xnat.State.AddReceiver(new XnatReceiver { AeTitle = "PLAIN", Port = 8104, CustomProcessing = false });
        using var plain = await _raw.Post("/xapi/dqr/import", new { pacsId = 1, aeTitle = "PLAIN", port = 8104, projectId = "RT-HaND", studies = new[] { new { studyInstanceUid = "2.25.1", relabelMap = new Dictionary<string, string> { ["Subject"] = "S" } } } }, cookie: _admin);
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);

        var forced = await Import(new { pacsId = 1, aeTitle = "PLAIN", port = 8104, projectId = "RT-HaND", forceImport = true, studies = new[] { new { studyInstanceUid = "2.25.1", relabelMap = new Dictionary<string, string> { ["Subject"] = "S" } } } });
        Assert.Single(forced.EnumerateArray());
        // Custom processing off: the data is never marked RECEIVED.
        await _xnat.Dqr.RunUntilIdleAsync();
        Assert.Equal("ISSUED", Assert.Single((await Get("/xapi/dqr/import/history")).EnumerateArray()).GetProperty("status").GetString());

        using var unknownKey = await _raw.Post("/xapi/dqr/import", new { pacsId = 1, aeTitle = "XNAT", port = 8104, projectId = "RT-HaND", studies = new[] { new { studyInstanceUid = "2.25.1", relabelMap = new Dictionary<string, string> { ["Patient"] = "S" } } } }, cookie: _admin);
        Assert.Equal(HttpStatusCode.InternalServerError, unknownKey.StatusCode);
    }

    [Fact]
    public async Task Import_keeps_the_clients_request_id_and_a_port_of_0_names_the_AE_alone()
    {
        var entry = Assert.Single((await Import(new { pacsId = "1", aeTitle = "XNAT", port = "0", projectId = "RT-HaND", requestId = "run-42", forceImport = true, studies = new[] { new { studyInstanceUid = "2.25.2" } } })).EnumerateArray());
        Assert.Equal("XNAT", entry.GetProperty("destinationAeTitle").GetString());
        Assert.Equal("run-42", entry.GetProperty("userDefinedId").GetString());
        Assert.False(entry.TryGetProperty("remappingScript", out _));
    }

    [Fact]
    public async Task A_PACS_that_is_not_queryable_refuses_queries_and_imports_and_fails_queued_requests()
    {
        await Import(ImportBody("2.25.1"));
        var pacs = (await Get("/xapi/pacs?queryable=true")).EnumerateArray().Single();
        Assert.True(pacs.GetProperty("queryable").GetBoolean());
        _xnat.State.AddPacs(new PacsEntry { Id = 1, AeTitle = "PACS", Queryable = false, Studies = new List<SeededStudy>() });
        Assert.Empty((await Get("/xapi/pacs?queryable=true")).EnumerateArray());
        using (var query = await _raw.Post("/xapi/dqr/query/studies", new { pacsId = 1, patientId = "H1" }, cookie: _admin))
            Assert.Equal(HttpStatusCode.BadRequest, query.StatusCode);
        using (var import = await _raw.Post("/xapi/dqr/import", ImportBody("2.25.2"), cookie: _admin))
            Assert.Equal(HttpStatusCode.BadRequest, import.StatusCode);
        await _xnat.Dqr.StepAsync();
        await _xnat.Dqr.StepAsync();
        Assert.Contains("not queryable", Assert.Single((await Get("/xapi/dqr/import/history")).EnumerateArray()).GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_needs_a_DQR_enabled_project_the_user_may_edit()
    {
        _xnat.State.AddProject("NODQR", dqrEnabled: false);
        _xnat.State.AddUser("nodqr", "pw", new[] { "Dqr" }, new[] { "NODQR" });
        var user = await _raw.Login("nodqr", "pw");
        using var disabled = await _raw.Post("/xapi/dqr/import", new { pacsId = 1, aeTitle = "XNAT", port = 8104, projectId = "NODQR", studies = new[] { new { studyInstanceUid = "2.25.1" } } }, cookie: user);
        Assert.Equal(HttpStatusCode.Forbidden, disabled.StatusCode);
        var dqrUser = await _raw.Login("dqruser", "pw");
        using var notMine = await _raw.Post("/xapi/dqr/import", new { pacsId = 1, aeTitle = "XNAT", port = 8104, projectId = "OTHER", studies = new[] { new { studyInstanceUid = "2.25.1" } } }, cookie: dqrUser);
        Assert.Equal(HttpStatusCode.Forbidden, notMine.StatusCode);
        using var noPacs = await _raw.Post("/xapi/dqr/import", new { pacsId = 5, aeTitle = "XNAT", port = 8104, projectId = "RT-HaND", studies = new[] { new { studyInstanceUid = "2.25.1" } } }, cookie: dqrUser);
        Assert.Equal(HttpStatusCode.NotFound, noPacs.StatusCode);
    }

    [Fact]
    public async Task The_life_cycle_goes_QUEUED_PROCESSING_then_a_new_history_row_ISSUED_then_RECEIVED_with_an_archived_session()
    {
        var queued = Assert.Single((await Import(ImportBody("2.25.1"))).EnumerateArray());
        var queueId = queued.GetProperty("id").GetInt64();

        Assert.Equal(1, await _xnat.Dqr.StepAsync());
        var processing = await Get($"/xapi/dqr/import/queue/{queueId}");
        Assert.Equal("PROCESSING", processing.GetProperty("status").GetString());
        Assert.Empty((await Get("/xapi/dqr/import/history")).EnumerateArray());

        await _xnat.Dqr.StepAsync();
        Assert.Empty((await Get("/xapi/dqr/import/queue")).EnumerateArray());
        var issued = Assert.Single((await Get("/xapi/dqr/import/history")).EnumerateArray());
        Assert.Equal("ISSUED", issued.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Number, issued.GetProperty("executedTime").ValueKind);
        Assert.False(issued.TryGetProperty("patientId", out _));
        Assert.Equal(queued.GetProperty("queuedTime").GetInt64(), issued.GetProperty("queuedTime").GetInt64());
        Assert.Empty(_xnat.State.ExperimentsIn("RT-HaND"));

        await _xnat.Dqr.StepAsync();
        var historyId = issued.GetProperty("id").GetInt64();
        Assert.Equal("RECEIVED", (await Get($"/xapi/dqr/import/history/{historyId}")).GetProperty("status").GetString());
        var session = Assert.Single(_xnat.State.ExperimentsIn("RT-HaND"));
        Assert.Equal(("9434765919", "S_2.25.1", "xnat:ctSessionData", "2.25.1"), (session.SubjectLabel, session.Label, session.XsiType, session.Uid));
        Assert.Equal(new DateOnly(2024, 1, 5), session.Date);
        Assert.Equal(new[] { "2.25.1.1", "2.25.1.2" }, session.Scans.Select(s => s.Uid));
        var (rows, _) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?UID=2.25.1&columns=ID,label,UID,xnat:imagescandata/id", _admin);
        Assert.Equal(2, rows.Count);
    }

    [Fact]
    public async Task A_failed_attempt_is_its_own_history_row_retried_after_the_wait_so_history_ids_differ_from_queue_ids()
    {
        _xnat.State.DqrFaults.FailFirstAttempts = 1;
        var queued = Assert.Single((await Import(ImportBody("2.25.1"))).EnumerateArray());
        await _xnat.Dqr.StepAsync();
        await _xnat.Dqr.StepAsync();
        var failed = Assert.Single((await Get("/xapi/dqr/import/history")).EnumerateArray());
        Assert.Equal("FAILED", failed.GetProperty("status").GetString());
        Assert.Contains("C-MOVE", failed.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.Equal("QUEUED", Assert.Single((await Get("/xapi/dqr/import/queue")).EnumerateArray()).GetProperty("status").GetString());
        // Not before the retry wait of 300 s.
        Assert.Equal(0, await _xnat.Dqr.StepAsync());
        _xnat.Clock.Advance(TimeSpan.FromSeconds(301));
        await _xnat.Dqr.StepAsync();
        await _xnat.Dqr.StepAsync();
        await _xnat.Dqr.StepAsync();
        var history = (await Get("/xapi/dqr/import/history?sort=ASC")).EnumerateArray().ToList();
        Assert.Equal(new[] { "FAILED", "RECEIVED" }, history.Select(h => h.GetProperty("status").GetString()));
        Assert.Equal(queued.GetProperty("id").GetInt64(), history[0].GetProperty("id").GetInt64());
        Assert.NotEqual(queued.GetProperty("id").GetInt64(), history[1].GetProperty("id").GetInt64());
        Assert.All(history, h => Assert.Equal("2.25.1", h.GetProperty("studyInstanceUid").GetString()));
    }

    [Fact]
    public async Task A_study_that_always_fails_leaves_five_FAILED_rows_and_no_queue_entry()
    {
        _xnat.State.DqrFaults.FailStudies.Add("2.25.1");
        await Import(ImportBody("2.25.1"));
        await _xnat.Dqr.RunUntilIdleAsync();
        await Relogin();
        var history = (await Get("/xapi/dqr/import/history")).EnumerateArray().ToList();
        Assert.Equal(5, history.Count);
        Assert.All(history, h => Assert.Equal("FAILED", h.GetProperty("status").GetString()));
        Assert.Equal(5, history.Select(h => h.GetProperty("id").GetInt64()).Distinct().Count());
        Assert.Equal(0, (await Get("/xapi/dqr/import/queue/count")).GetInt32());
        Assert.Empty(_xnat.State.ExperimentsIn("RT-HaND"));
    }

    [Fact]
    public async Task A_fraction_of_studies_can_fail_deterministically()
    {
        _xnat.State.DqrFaults.FailFraction = 1.0;
        await Import(ImportBody("2.25.1", "2.25.2"));
        await _xnat.Dqr.RunUntilIdleAsync();
        await Relogin();
        Assert.Equal(10, (await Get("/xapi/dqr/import/history/count")).GetInt32());
    }

    [Fact]
    public async Task A_receiver_that_does_not_exist_fails_every_attempt_even_though_the_import_was_accepted()
    {
        var body = new { pacsId = 1, aeTitle = "NOSUCH", port = 9999, projectId = "RT-HaND", forceImport = true, studies = new[] { new { studyInstanceUid = "2.25.2" } } };
        Assert.Single((await Import(body)).EnumerateArray());
        await _xnat.Dqr.RunUntilIdleAsync();
        await Relogin();
        var history = (await Get("/xapi/dqr/import/history")).EnumerateArray().ToList();
        Assert.Equal(5, history.Count);
        Assert.All(history, h => Assert.Contains("not storable", h.GetProperty("errorMessage").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stuck_request_stays_ISSUED_and_so_does_one_whose_data_comes_after_the_hour()
    {
        _xnat.State.DqrFaults.StuckStudies.Add("2.25.1");
        await Import(ImportBody("2.25.1", "2.25.2"));
        await _xnat.Dqr.StepAsync();
        await _xnat.Dqr.StepAsync();
        _xnat.Clock.Advance(TimeSpan.FromMinutes(61));
        for (var i = 0; i < 5; i++) await _xnat.Dqr.StepAsync();
        await Relogin();
        var history = (await Get("/xapi/dqr/import/history")).EnumerateArray().ToList();
        Assert.Equal(2, history.Count);
        Assert.All(history, h => Assert.Equal("ISSUED", h.GetProperty("status").GetString()));
        Assert.Empty(_xnat.State.ExperimentsIn("RT-HaND"));
    }

    [Fact]
    public async Task A_study_already_in_the_project_is_queued_again_and_ends_in_a_prearchive_CONFLICT()
    {
        await Import(ImportBody("2.25.1"));
        await _xnat.Dqr.RunUntilIdleAsync();
        var again = await Import(ImportBody("2.25.1"));
        Assert.Single(again.EnumerateArray());
        await _xnat.Dqr.RunUntilIdleAsync();
        Assert.Single(_xnat.State.ExperimentsIn("RT-HaND"));
        var (rows, set) = await _raw.ResultSet("/data/prearchive/projects/RT-HaND?format=json", _admin);
        var row = Assert.Single(rows);
        Assert.Equal("CONFLICT", row["status"].GetString());
        Assert.Equal("2.25.1", row["tag"].GetString());
        Assert.StartsWith("/prearchive/projects/RT-HaND/", row["url"].GetString(), StringComparison.Ordinal);
        Assert.False(set.TryGetProperty("totalRecords", out _));
    }

    [Fact]
    public async Task Without_auto_archive_a_received_study_waits_in_the_prearchive_as_READY()
    {
        _xnat.State.AddProject("MANUAL", autoArchive: false);
        await Import(new { pacsId = 1, aeTitle = "XNAT", port = 8104, projectId = "MANUAL", studies = new[] { new { studyInstanceUid = "2.25.2" } } });
        await _xnat.Dqr.RunUntilIdleAsync();
        Assert.Empty(_xnat.State.ExperimentsIn("MANUAL"));
        Assert.Equal("READY", Assert.Single(_xnat.State.PrearchiveIn("MANUAL")).Status);
    }

    [Fact]
    public async Task Queue_and_history_take_all_sort_page_and_pageSize()
    {
        await Import(ImportBody("2.25.1", "2.25.2", "2.25.3"));
        var desc = (await Get("/xapi/dqr/import/queue")).EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(desc.OrderByDescending(i => i), desc);
        var asc = (await Get("/xapi/dqr/import/queue?sort=asc")).EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(desc.OrderBy(i => i), asc);
        var page2 = (await Get("/xapi/dqr/import/queue?sort=ASC&page=2&pageSize=2")).EnumerateArray().Select(e => e.GetProperty("id").GetInt64());
        Assert.Equal(new[] { asc[2] }, page2);
        using var badSort = await _raw.Get("/xapi/dqr/import/queue?sort=newest", cookie: _admin);
        Assert.Equal(HttpStatusCode.BadRequest, badSort.StatusCode);

        var dqrUser = await _raw.Login("dqruser", "pw");
        Assert.Empty((await Get("/xapi/dqr/import/queue", dqrUser)).EnumerateArray()); // only your own by default
        using var all = await _raw.Get("/xapi/dqr/import/queue?all=true", cookie: dqrUser);
        Assert.Equal(HttpStatusCode.Forbidden, all.StatusCode);
        Assert.Equal(3, (await Get("/xapi/dqr/import/queue?all=true")).GetArrayLength());
        using var missing = await _raw.Get("/xapi/dqr/import/history/999", cookie: _admin);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var delete = await _raw.Send(HttpMethod.Delete, $"/xapi/dqr/import/queue/{asc[0]}", cookie: _admin);
        Assert.True((await Json(delete)).GetBoolean());
        Assert.Equal(2, (await Get("/xapi/dqr/import/queue/count")).GetInt32());
    }

    [Fact]
    public async Task Automatic_mode_runs_the_life_cycle_on_a_timer()
    {
        await using var xnat = await Doubles.Start(new XnatDoubleOptions { Dqr = { Automatic = true, StepInterval = TimeSpan.FromMilliseconds(20) } });
        xnat.State.AddPacs(new PacsEntry { Id = 1, AeTitle = "PACS", Studies = new List<SeededStudy> { Study("2.25.1", "H1", "ACC1", "20240105", "CT") } });
        using var raw = new Raw(xnat);
        var admin = await raw.Login();
        using (await raw.Post("/xapi/dqr/import", ImportBody("2.25.1"), cookie: admin)) { }
        var until = DateTime.UtcNow.AddSeconds(20);
        while (xnat.State.ExperimentsIn("RT-HaND").Count == 0 && DateTime.UtcNow < until) await Task.Delay(20);
        Assert.Single(xnat.State.ExperimentsIn("RT-HaND"));
    }
}
