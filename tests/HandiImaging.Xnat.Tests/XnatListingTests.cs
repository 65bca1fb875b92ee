using System.Globalization;
using CsvHelper;
using HandiImaging.Core.Summary;
using HandiImaging.Core.Xnat;
using HandiImaging.XnatDouble;

namespace HandiImaging.Xnat.Tests;

/// <summary>Session listings, scan counts and the session-summary export against the double.</summary>
public class XnatListingTests
{
    [Fact]
    public async Task Sessions_with_scan_counts_from_one_per_scan_listing_of_the_project()
    {
        await using var site = await Site.StartAsync();
        site.AddSession("xnat:mrSessionData", "ACC1", "9434765919", "1.2.1", 3);
        site.AddSession("xnat:mrSessionData", "ACC2", "9434765919", "1.2.2", 0);
        site.AddSession("xnat:ctSessionData", "ACC3", "NN_H3", "1.2.3", 2);
        using var xnat = await site.ConnectAsync();
        var sessions = new XnatSessionLister(xnat).GetSessions(Site.Project, null, null, includeScanCount: true, CancellationToken.None).ToList();
        Assert.Equal(3, sessions.Count);
        var mr = sessions.Single(s => s.Label == "ACC1");
        Assert.Equal("MR", mr.Type);
        Assert.Equal(3, mr.ScanCount);
        Assert.Equal("9434765919", mr.Subject);
        Assert.Equal(new DateTime(2024, 2, 3), mr.Date);
        Assert.Equal("1.2.1", mr.StudyInstanceUid);
        Assert.Equal("Avanto", mr.Scanner);
        Assert.Equal("admin", mr.Creator);
        Assert.Equal("ACC1", mr.AccessionNumber);
        Assert.NotNull(mr.InsertDate);
        Assert.Equal(0, sessions.Single(s => s.Label == "ACC2").ScanCount);
        Assert.Equal(2, sessions.Single(s => s.Label == "ACC3").ScanCount);
        Assert.Equal(1, site.Count("GET /data/experiments"));
        Assert.Equal(0, site.State.Requests.Recent.Count(r => r.Path.EndsWith("/scans", StringComparison.Ordinal)));
        // One request per type (all ten types asked).
        Assert.Equal(XnatSessionType.All.Count, site.Count("GET /data/projects/{project}/experiments"));
    }

    [Fact]
    public async Task A_session_absent_from_the_scan_listing_has_no_scans()
    {
        await using var site = await Site.StartAsync(new XnatDoubleOptions { ScanlessSessionsInScanListing = false });
        site.AddSession("xnat:mrSessionData", "ACC1", "S1", "1.2.1", 0);
        using var xnat = await site.ConnectAsync();
        var session = Assert.Single(new XnatSessionLister(xnat).GetSessions(Site.Project, new[] { XnatSessionType.Get("MR") }, null, true, CancellationToken.None));
        Assert.Equal(0, session.ScanCount);
    }

    [Fact]
    public async Task Shared_sessions_appear_under_their_label_in_the_project_and_pet_mr_once_under_pet()
    {
        await using var site = await Site.StartAsync();
        site.State.AddProject("OTHER");
        var shared = site.AddSession("xnat:ctSessionData", "OTHER-LABEL", "OTHER-SUBJ", "1.2.9", 1, project: "OTHER");
        shared.Shares.Add(new XnatShare(Site.Project, "ACC9", "9434765919"));
        site.AddSession("xnat:petmrSessionData", "ACC8", "S8", "1.2.8", 1);
        using var xnat = await site.ConnectAsync();
        var lister = new XnatSessionLister(xnat);
        var ct = Assert.Single(lister.GetSessions(Site.Project, new[] { XnatSessionType.Get("CT") }, null, false, CancellationToken.None));
        Assert.Equal("ACC9", ct.Label);
        Assert.Equal("9434765919", ct.Subject);
        var pet = Assert.Single(lister.GetSessions(Site.Project, new[] { XnatSessionType.Get("PET") }, null, false, CancellationToken.None));
        Assert.Equal("xnat:petmrSessionData", pet.XsiType);
    }

    [Fact]
    public async Task Filter_by_study_instance_uid()
    {
        await using var site = await Site.StartAsync();
        for (var i = 0; i < 5; i++) site.AddSession("xnat:ctSessionData", "ACC" + i, "S" + i, "1.2." + i, 1);
        using var xnat = await site.ConnectAsync();
        var found = new XnatSessionLister(xnat).GetSessions(Site.Project, new[] { XnatSessionType.Get("CT") }, new[] { "1.2.1", "1.2.3", "9.9" }, false, CancellationToken.None).ToList();
        Assert.Equal(new[] { "1.2.1", "1.2.3" }, found.Select(s => s.StudyInstanceUid).OrderBy(u => u));
    }

    [Fact]
    public async Task Columns_xnat_dropped_silently_are_an_error()
    {
        await using var site = await Site.StartAsync();
        site.AddSession("xnat:ctSessionData", "ACC1", "S1", "1.2.1", 1);
        using var xnat = await site.ConnectAsync();
        var lister = new XnatSessionLister(xnat);
        var ex = Assert.Throws<XnatException>(() => lister.ReadRows($"/data/projects/{Site.Project}/experiments?xsiType=xnat:ctSessionData&columns=ID,uid&format=json", new[] { "ID", "uid" }, CancellationToken.None).ToList());
        Assert.Equal(XnatErrorId.ColumnMissing, ex.ErrorId);
        Assert.Contains("uid", ex.Message);
    }

    [Fact]
    public async Task Unknown_project_is_not_found_with_xnats_message()
    {
        await using var site = await Site.StartAsync();
        using var xnat = await site.ConnectAsync();
        var ex = Assert.Throws<XnatException>(() => new XnatSessionLister(xnat).GetSessions("NOPE", null, null, false, CancellationToken.None).ToList());
        Assert.Equal(XnatErrorId.NotFound, ex.ErrorId);
        Assert.Equal(404, ex.StatusCode);
        Assert.Contains("NOPE", ex.XnatMessage);
    }

    [Fact]
    public async Task A_user_who_cannot_read_the_project_is_forbidden()
    {
        await using var site = await Site.StartAsync();
        site.State.AddProject("PRIVATE");
        using var xnat = await site.ConnectAsync("clinician");
        var ex = Assert.Throws<XnatException>(() => new XnatSessionLister(xnat).GetSessions("PRIVATE", null, null, false, CancellationToken.None).ToList());
        Assert.Equal(XnatErrorId.Forbidden, ex.ErrorId);
    }

    [Fact]
    public async Task Listing_retried_after_500_with_html_body()
    {
        await using var site = await Site.StartAsync();
        site.AddSession("xnat:ctSessionData", "ACC1", "S1", "1.2.1", 1);
        using var xnat = await site.ConnectAsync();
        site.State.AddFault(new FaultRule { Method = "GET", PathPattern = "/experiments$", Status = 500, Times = 1 });
        Assert.Single(new XnatSessionLister(xnat).GetSessions(Site.Project, new[] { XnatSessionType.Get("CT") }, null, false, CancellationToken.None));
        Assert.Equal(2, site.Count("GET /data/projects/{project}/experiments"));
    }

    [Fact]
    public async Task Export_writes_the_eight_files_with_the_domain_headers_and_merges_back()
    {
        await using var site = await Site.StartAsync();
        site.AddSession("xnat:mrSessionData", "ACC1", "9434765919", "1.2.1", 3, new DateOnly(2024, 2, 3));
        site.AddSession("xnat:ctSessionData", "ACC2", "9434765919", "1.2.2", 2, new DateOnly(2024, 3, 4));
        site.AddSession("xnat:crSessionData", "ACC3", "NN_H7", "1.2.3", 1, new DateOnly(2024, 1, 2));
        var sr = site.AddSession("xnat:srSessionData", "ACC4", "NN_H7", "1.2.4", 1, new DateOnly(2024, 1, 5));
        sr.InsertUser = "nmreports";
        var dir = Directory.CreateTempSubdirectory("xnat-export-");
        try
        {
            using var xnat = await site.ConnectAsync();
            var result = new XnatSessionSummaryExporter(xnat).Export(Site.Project, dir.FullName, CancellationToken.None);
            Assert.Equal(4, result.Sessions);
            Assert.Equal(9, result.Requests); // one scan listing + one per type
            Assert.Equal(XnatSessionExports.Types.Select(t => t + ".csv"), result.Files.Select(f => Path.GetFileName(f.Path)));
            Assert.Equal(new[] { "Subject,Date,MR ID,Scanner,Scans", "9434765919,2024-02-03," + Id(site, "ACC1") + ",Avanto,3" }, Lines(dir, "MR.csv"));
            Assert.Equal(new[] { "Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans", "9434765919,2024-03-04," + Id(site, "ACC2") + ",1.2.2,2" }, Lines(dir, "CT.csv"));
            Assert.Equal(new[] { "Subject,Date,XNAT_CRSESSIONDATA ID,ID,Session", "NN_H7,2024-01-02," + Id(site, "ACC3") + ",ACC3,ACC3" }, Lines(dir, "CR.csv"));
            Assert.Equal(new[] { "Subject,Date,XNAT_SRSESSIONDATA ID,ID,Creator", "NN_H7,2024-01-05," + Id(site, "ACC4") + ",ACC4,nmreports" }, Lines(dir, "SR.csv"));
            Assert.Equal(new[] { "Subject,Date,XNAT_XASESSIONDATA ID,ID,Creator" }, Lines(dir, "XA.csv"));
            Assert.Empty(Directory.GetFiles(dir.FullName, "*.tmp", SearchOption.AllDirectories).Concat(Directory.GetFiles(dir.FullName, ".*")));

            // Merge-XnatSummary reads the folder as it is.
            File.WriteAllText(Path.Combine(dir.FullName, "reference_dates.csv"), "Subject,Reference Date\n9434765919,2024-02-01\n");
            var output = Path.Combine(dir.FullName, "summary.csv");
            var merged = XnatSummaryMerger.Merge(new XnatSummaryRequest(dir.FullName, Path.Combine(dir.FullName, "reference_dates.csv"), output));
            Assert.Equal(2, merged.SubjectCount);
            Assert.Equal(4, merged.SessionCount);
            using var csv = new CsvReader(new StreamReader(output), CultureInfo.InvariantCulture);
            var rows = csv.GetRecords<dynamic>().Cast<IDictionary<string, object>>().ToDictionary(r => (string)r["Subject"]);
            Assert.Equal("2024-02-03", rows["9434765919"]["MR Date 1"]);
            Assert.Equal("2", rows["9434765919"]["MR Difference from Reference Date 1"]);
            Assert.Equal("Avanto", rows["9434765919"]["MR UID 1"]);
            Assert.Equal("3", rows["9434765919"]["MR Scans 1"]);
            Assert.Equal("1.2.2", rows["9434765919"]["CT UID 1"]);
            Assert.Equal("ACC3", rows["NN_H7"]["CR UID 1"]);
            Assert.Equal("not applicable", rows["NN_H7"]["Reference Date"]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_failed_export_leaves_the_previous_files_untouched()
    {
        await using var site = await Site.StartAsync();
        site.AddSession("xnat:mrSessionData", "ACC1", "S1", "1.2.1", 1);
        var dir = Directory.CreateTempSubdirectory("xnat-export-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "MR.csv"), "previous");
            using var xnat = await site.ConnectAsync();
            site.State.AddFault(new FaultRule { Method = "GET", PathPattern = "/experiments$", Status = 500 });
            var ex = Assert.Throws<XnatException>(() => new XnatSessionSummaryExporter(xnat).Export(Site.Project, dir.FullName, CancellationToken.None));
            Assert.Equal(XnatErrorId.ServerError, ex.ErrorId);
            Assert.Equal("previous", File.ReadAllText(Path.Combine(dir.FullName, "MR.csv")));
            Assert.Equal(new[] { "MR.csv" }, Directory.GetFiles(dir.FullName).Select(Path.GetFileName));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Id(Site site, string label) => site.State.ExperimentsIn(Site.Project).Single(e => e.Label == label).Id;

    private static string[] Lines(DirectoryInfo dir, string file) =>
        File.ReadAllLines(Path.Combine(dir.FullName, file)).Where(l => l.Length > 0).ToArray();
}
