using System.Net;
using System.Text.Json;
using HandiImaging.TestPeers;

namespace HandiImaging.XnatDouble.Tests;

/// <summary>The double's PACS side is a real dcmqrscp: DQR queries are C-FINDs, and a RECEIVED import has the study's real series as scans.</summary>
public sealed class RealPacsTests : IAsyncLifetime
{
    private static readonly TestStudy Neck = new()
    {
        PatientId = "H100", PatientName = "SMITH^ANNE", StudyInstanceUid = TestStudy.UidFor("xnat-double/neck"),
        StudyDate = new DateTime(2024, 4, 2), AccessionNumber = "RX1001", StudyDescription = "CT NECK", Modality = "CT", SeriesCount = 3, InstancesPerSeries = 2,
    };

    private static readonly TestStudy Head = new()
    {
        PatientId = "H100", PatientName = "SMITH^ANNE", StudyInstanceUid = TestStudy.UidFor("xnat-double/head"),
        StudyDate = new DateTime(2023, 9, 9), AccessionNumber = "RX0999", StudyDescription = "MR HEAD", Modality = "MR",
    };

    private DcmqrscpPeer _pacs = null!;
    private XnatDouble _xnat = null!;
    private Raw _raw = null!;
    private string _admin = "";

    public async Task InitializeAsync()
    {
        _pacs = await DcmqrscpPeer.StartAsync(new[] { Neck, Head });
        _xnat = await Doubles.Start();
        _xnat.State.AddPacs(new PacsEntry { Id = 3, AeTitle = _pacs.AeTitle, Host = _pacs.Host, Port = _pacs.Port, CallingAeTitle = "XNAT", DefaultQueryRetrievePacs = true });
        _raw = new Raw(_xnat);
        _admin = await _raw.Login();
    }

    public async Task DisposeAsync()
    {
        _raw.Dispose();
        await _xnat.DisposeAsync();
        await _pacs.DisposeAsync();
    }

    [Fact]
    public async Task A_query_is_a_real_C_FIND_and_an_import_archives_the_studys_real_series()
    {
        using (var status = await _raw.Get("/xapi/pacs/3/status", cookie: _admin))
        using (var doc = JsonDocument.Parse(await status.Content.ReadAsStringAsync()))
            Assert.True(doc.RootElement.GetProperty("successful").GetBoolean());

        using var query = await _raw.Post("/xapi/dqr/query/studies", new { pacsId = 0, patientId = "H100", studyDateFrom = "2024-01-01" }, cookie: _admin);
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        using (var doc = JsonDocument.Parse(await query.Content.ReadAsStringAsync()))
        {
            var study = Assert.Single(doc.RootElement.EnumerateArray());
            Assert.Equal(Neck.StudyInstanceUid, study.GetProperty("studyInstanceUid").GetString());
            Assert.Equal("RX1001", study.GetProperty("accessionNumber").GetString());
            Assert.Equal("2024-04-02", study.GetProperty("studyDate").GetString());
            Assert.Equal("CT NECK", study.GetProperty("studyDescription").GetString());
            Assert.Equal("SMITH, ANNE", study.GetProperty("patient").GetProperty("name").GetString());
        }
        using (var none = await _raw.Post("/xapi/dqr/query/studies", new { pacsId = 3, patientId = "NOBODY" }, cookie: _admin))
            Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);

        var body = new
        {
            pacsId = 3, aeTitle = "XNAT", port = 8104, projectId = "RT-HaND",
            studies = new[]
            {
                new { studyInstanceUid = Neck.StudyInstanceUid, relabelMap = new Dictionary<string, string> { ["Subject"] = "9434765919", ["Session"] = "RX1001" } },
                new { studyInstanceUid = "1.2.3.404", relabelMap = new Dictionary<string, string> { ["Subject"] = "X", ["Session"] = "Y" } },
            },
        };
        using var import = await _raw.Post("/xapi/dqr/import", body, cookie: _admin);
        using (var doc = JsonDocument.Parse(await import.Content.ReadAsStringAsync()))
        {
            // The study PACS does not have is left out of the answer.
            var entry = Assert.Single(doc.RootElement.EnumerateArray());
            Assert.Equal(Enumerable.Range(1, 3).Select(Neck.SeriesInstanceUid), entry.GetProperty("seriesIds").EnumerateArray().Select(s => s.GetString()).OrderBy(s => s));
            Assert.Equal("H100", entry.GetProperty("patientId").GetString());
        }

        await _xnat.Dqr.RunUntilIdleAsync();
        var session = Assert.Single(_xnat.State.ExperimentsIn("RT-HaND"));
        Assert.Equal(("9434765919", "RX1001", "xnat:ctSessionData", Neck.StudyInstanceUid), (session.SubjectLabel, session.Label, session.XsiType, session.Uid));
        Assert.Equal(Enumerable.Range(1, 3).Select(Neck.SeriesInstanceUid), session.Scans.Select(s => s.Uid).OrderBy(s => s));
        Assert.Equal(new[] { "1", "2", "3" }, session.Scans.Select(s => s.Id).OrderBy(s => s));
        var (rows, _) = await _raw.ResultSet($"/data/projects/RT-HaND/experiments?UID={Neck.StudyInstanceUid}&columns=ID,label,xnat:imagescandata/id", _admin);
        Assert.Equal(3, rows.Count);
    }

    [Fact]
    public async Task A_study_can_be_archived_straight_from_the_PACS_so_both_agree_and_a_later_import_of_it_conflicts()
    {
        var session = await _xnat.Dqr.ArchiveFromPacsAsync(3, "RT-HaND", Head.StudyInstanceUid, subject: "9434765919", session: "RX0999");
        Assert.NotNull(session);
        Assert.Equal(("xnat:mrSessionData", "RX0999", new DateOnly(2023, 9, 9)), (session.XsiType, session.Label, session.Date));
        Assert.Equal(new[] { Head.SeriesInstanceUid(1) }, session.Scans.Select(s => s.Uid));
        var (rows, _) = await _raw.ResultSet($"/data/projects/RT-HaND/experiments?UID={Head.StudyInstanceUid}&columns=label,subject_label", _admin);
        Assert.Equal("9434765919", Assert.Single(rows)["subject_label"].GetString());

        Assert.Null(await _xnat.Dqr.ArchiveFromPacsAsync(3, "RT-HaND", Head.StudyInstanceUid));
        Assert.Equal("CONFLICT", Assert.Single(_xnat.State.PrearchiveIn("RT-HaND")).Status);
        await Assert.ThrowsAsync<ArgumentException>(() => _xnat.Dqr.ArchiveFromPacsAsync(3, "RT-HaND", "1.2.3.404"));
    }

    [Fact]
    public async Task A_PACS_that_stopped_answering_fails_its_echo_and_its_query()
    {
        _xnat.State.AddPacs(new PacsEntry { Id = 4, AeTitle = "GONE", Host = "127.0.0.1", Port = FreePorts.Next() });
        using (var status = await _raw.Get("/xapi/pacs/4/status", cookie: _admin))
        using (var doc = JsonDocument.Parse(await status.Content.ReadAsStringAsync()))
            Assert.False(doc.RootElement.GetProperty("successful").GetBoolean());
        using var query = await _raw.Post("/xapi/dqr/query/studies", new { pacsId = 4, patientId = "H100" }, cookie: _admin);
        Assert.Equal(HttpStatusCode.BadRequest, query.StatusCode);
        Assert.StartsWith("A DQR run-time exception occurred", await query.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
