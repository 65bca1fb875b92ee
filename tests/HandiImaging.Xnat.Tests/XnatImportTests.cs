using HandiImaging.Core.Xnat;
using HandiImaging.XnatDouble;

namespace HandiImaging.Xnat.Tests;

/// <summary>Request and wait against the double's DQR life cycle, with the misbehaviours of xnat.md §3–§5.</summary>
public class XnatImportTests
{
    private static readonly (string Uid, string PatientId, string Accession)[] Studies =
    {
        ("1.3.1", "H1", "RAD1"), ("1.3.2", "H2", "RAD2"), ("1.3.3", "H3", "RAD3"), ("1.3.4", "H4", "RAD4"),
    };

    private static IEnumerable<XnatImportStudy> Ask(params string[] uids) => Studies.Where(s => uids.Contains(s.Uid)).Select(s => new XnatImportStudy
    {
        StudyInstanceUid = s.Uid,
        HospitalId = s.PatientId,
        Subject = s.PatientId == "H1" ? "9434765919" : "NN_" + s.PatientId,
        AccessionNumber = s.Accession,
        StudyDate = new DateTime(2024, 3, 1),
        StudyDescription = "CT NECK, with contrast",
    });

    private static async Task<Site> StartAsync()
    {
        var site = await Site.StartAsync();
        site.AddPacs(Studies);
        return site;
    }

    private static List<XnatImportRequest> Request(XnatConnection xnat, IEnumerable<XnatImportStudy> studies, bool force = false, int batch = 50, Func<string, bool>? confirm = null) =>
        new XnatImportRequester(xnat).Request(studies, new XnatImportOptions(Site.Project, 1) { Force = force, BatchSize = batch }, confirm, CancellationToken.None).ToList();

    private static IReadOnlyList<XnatImportRequest> Wait(Site site, XnatConnection xnat, IReadOnlyList<XnatImportRequest> requests, List<XnatImportRequest>? finals = null) =>
        new XnatImportWaiter(xnat).Wait(requests, new XnatImportWaitOptions { PollInterval = TimeSpan.FromMilliseconds(20), Timeout = TimeSpan.FromSeconds(20) }, finals == null ? null : finals.Add, null, CancellationToken.None);

    [Fact]
    public async Task Imported_studies_are_relabelled_received_and_archived()
    {
        await using var site = await StartAsync();
        using var xnat = await site.ConnectAsync();
        var requests = Request(xnat, Ask("1.3.1", "1.3.2"));
        Assert.All(requests, r => Assert.Equal(XnatImportStatus.Queued, r.Status));
        Assert.All(requests, r => Assert.NotNull(r.QueuedTime));
        await site.Xnat.Dqr.RunUntilIdleAsync();
        var finals = new List<XnatImportRequest>();
        var result = Wait(site, xnat, requests, finals);
        Assert.All(result, r => Assert.Equal(XnatImportStatus.Received, r.Status));
        Assert.Equal(2, finals.Count);
        var archived = site.State.ExperimentsIn(Site.Project).Single(e => e.Uid == "1.3.1");
        Assert.Equal("9434765919", archived.SubjectLabel);
        Assert.Equal("RAD1", archived.Label);
        Assert.Equal(2, archived.Scans.Count);
        Assert.Equal(1, site.Count("POST /xapi/dqr/import"));
    }

    [Fact]
    public async Task Studies_already_in_the_project_or_queue_are_skipped_with_one_listing_unless_forced()
    {
        await using var site = await StartAsync();
        site.AddSession("xnat:ctSessionData", "RAD1", "9434765919", "1.3.1", 2);
        using var xnat = await site.ConnectAsync();
        var first = Request(xnat, Ask("1.3.1", "1.3.2"));
        Assert.Equal(XnatImportStatus.AlreadyInXnat, first.Single(r => r.StudyInstanceUid == "1.3.1").Status);
        Assert.Equal(XnatImportStatus.Queued, first.Single(r => r.StudyInstanceUid == "1.3.2").Status);
        Assert.Equal(1, site.Count("GET /data/projects/{project}/experiments"));
        var again = Request(xnat, Ask("1.3.2"));
        Assert.Equal(XnatImportStatus.AlreadyQueued, Assert.Single(again).Status);
        Assert.Equal(1, site.Count("POST /xapi/dqr/import"));

        // Forced: XNAT queues the duplicate; it is received but lands in the prearchive as CONFLICT.
        var forced = Request(xnat, Ask("1.3.1"), force: true);
        Assert.Equal(XnatImportStatus.Queued, Assert.Single(forced).Status);
        await site.Xnat.Dqr.RunUntilIdleAsync();
        var result = Assert.Single(Wait(site, xnat, forced));
        Assert.Equal(XnatImportStatus.Failed, result.Status);
        Assert.Contains("CONFLICT", result.Reason);
        Assert.True(result.IsFailure);
    }

    [Fact]
    public async Task Studies_left_out_of_the_answer_are_dropped_and_become_failures()
    {
        await using var site = await StartAsync();
        site.State.DqrFaults.DropStudies.Add("1.3.2");
        using var xnat = await site.ConnectAsync();
        var requests = Request(xnat, Ask("1.3.1", "1.3.2").Append(new XnatImportStudy { StudyInstanceUid = "9.9.9", HospitalId = "H9", Subject = "NN_H9", AccessionNumber = "RAD9" }));
        Assert.Equal(XnatImportStatus.Queued, requests.Single(r => r.StudyInstanceUid == "1.3.1").Status);
        Assert.Equal(XnatImportStatus.Dropped, requests.Single(r => r.StudyInstanceUid == "1.3.2").Status);
        Assert.Equal(XnatImportStatus.Dropped, requests.Single(r => r.StudyInstanceUid == "9.9.9").Status);
        var failure = requests.Single(r => r.StudyInstanceUid == "1.3.2").ToFailure("x");
        Assert.Equal("CT NECK, with contrast", failure.StudyDescription);
        Assert.Equal("NN_H2", failure.Subject);
    }

    [Fact]
    public async Task Batches_and_bad_inputs()
    {
        await using var site = await StartAsync();
        using var xnat = await site.ConnectAsync();
        var studies = Ask("1.3.1", "1.3.2", "1.3.3").Concat(Ask("1.3.1"))
            .Append(new XnatImportStudy { StudyInstanceUid = "1.3.4", HospitalId = "H4", Subject = "NN_H4" })
            .Append(new XnatImportStudy { StudyInstanceUid = "", AccessionNumber = "RAD0", Subject = "NN_H0" });
        var requests = Request(xnat, studies, batch: 2);
        Assert.Equal(6, requests.Count);
        Assert.Equal(3, requests.Count(r => r.Status == XnatImportStatus.Queued));
        Assert.Equal(XnatImportStatus.Duplicate, requests.Single(r => r.Status == XnatImportStatus.Duplicate).Status);
        Assert.Equal(2, requests.Count(r => r.Status == XnatImportStatus.Rejected));
        Assert.Equal(2, site.Count("POST /xapi/dqr/import"));
    }

    [Fact]
    public async Task What_if_sends_no_import_request()
    {
        await using var site = await StartAsync();
        using var xnat = await site.ConnectAsync();
        var asked = new List<string>();
        var requests = Request(xnat, Ask("1.3.1", "1.3.2"), confirm: d => { asked.Add(d); return false; });
        Assert.Empty(requests);
        Assert.Single(asked);
        Assert.Contains("2 studies", asked[0]);
        Assert.Equal(0, site.Count("POST /xapi/dqr/import"));
    }

    [Fact]
    public async Task A_timed_out_import_is_never_re_sent_the_queue_is_checked()
    {
        await using var site = await StartAsync();
        var options = site.Options();
        options.Timeout = TimeSpan.FromSeconds(1);
        using (await site.ConnectAsync()) { }
        using var xnat = await XnatConnection.OpenAsync(options, CancellationToken.None);
        site.State.AddFault(new FaultRule { Method = "POST", PathPattern = "^/xapi/dqr/import$", DelayMilliseconds = 4000, Times = 1 });
        var requests = Request(xnat, Ask("1.3.1"));
        Assert.Equal(XnatImportStatus.NotConfirmed, Assert.Single(requests).Status);
        Assert.True(site.Count("GET /xapi/dqr/import/queue") >= 2); // before (skip check) and after (confirmation)
        await Task.Delay(200);
        Assert.Equal(1, site.State.Requests.Recent.Count(r => r.Method == "POST" && r.Path == "/xapi/dqr/import"));
    }

    [Fact]
    public async Task A_500_on_import_is_not_retried_and_what_was_queued_is_found_in_the_queue()
    {
        await using var site = await StartAsync();
        using var xnat = await site.ConnectAsync();
        site.State.AddFault(new FaultRule { Method = "POST", PathPattern = "^/xapi/dqr/import$", Status = 500, Times = 1 });
        var requests = Request(xnat, Ask("1.3.1"));
        Assert.Equal(XnatImportStatus.NotConfirmed, Assert.Single(requests).Status);
        Assert.Contains("500", requests[0].Reason);
        Assert.Equal(1, site.Count("POST /xapi/dqr/import"));
    }

    [Fact]
    public async Task Missing_dqr_role_is_forbidden()
    {
        await using var site = await StartAsync();
        using var xnat = await site.ConnectAsync("clinician");
        var ex = Assert.Throws<XnatException>(() => Request(xnat, Ask("1.3.1")));
        Assert.Equal(XnatErrorId.Forbidden, ex.ErrorId);
        Assert.Equal(403, ex.StatusCode);
        Assert.Equal(0, site.Count("POST /xapi/dqr/import"));
    }

    [Fact]
    public async Task Receiver_without_remapping_is_a_bad_request_with_xnats_message()
    {
        await using var site = await StartAsync();
        using var xnat = await site.ConnectAsync();
        var ex = Assert.Throws<XnatException>(() => new XnatImportRequester(xnat).Request(Ask("1.3.1"),
            new XnatImportOptions(Site.Project, 1) { ReceiverAeTitle = "NOSUCH", ReceiverPort = 104 }, null, CancellationToken.None).ToList());
        Assert.Equal(XnatErrorId.BadRequest, ex.ErrorId);
        Assert.Contains("No remapping processors", ex.XnatMessage);
    }

    [Fact]
    public async Task Failed_after_xnats_retries_stuck_issued_goes_stale_and_correlation_ignores_ids()
    {
        await using var site = await StartAsync();
        site.State.DqrFaults.FailStudies.Add("1.3.2");
        site.State.DqrFaults.StuckStudies.Add("1.3.3");
        site.State.DqrFaults.FailFirstAttempts = 0;
        using var xnat = await site.ConnectAsync();
        var requests = Request(xnat, Ask("1.3.1", "1.3.2", "1.3.3"));
        await site.Xnat.Dqr.RunUntilIdleAsync();
        site.Xnat.Clock.Advance(TimeSpan.FromHours(2));
        var result = Wait(site, xnat, requests);
        Assert.Equal(XnatImportStatus.Received, result.Single(r => r.StudyInstanceUid == "1.3.1").Status);
        var failed = result.Single(r => r.StudyInstanceUid == "1.3.2");
        Assert.Equal(XnatImportStatus.Failed, failed.Status);
        Assert.Equal(5, failed.Attempts);
        Assert.Contains("C-MOVE", failed.Reason);
        Assert.Equal(XnatImportStatus.Stale, result.Single(r => r.StudyInstanceUid == "1.3.3").Status);
    }

    [Fact]
    public async Task A_retried_request_is_still_pending_until_it_succeeds()
    {
        await using var site = await StartAsync();
        site.State.DqrFaults.FailFirstAttempts = 2;
        using var xnat = await site.ConnectAsync();
        var requests = Request(xnat, Ask("1.3.1"));
        await site.Xnat.Dqr.StepAsync();
        await site.Xnat.Dqr.StepAsync();
        var waiter = new XnatImportWaiter(xnat);
        var early = waiter.Wait(requests, new XnatImportWaitOptions { PollInterval = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromMilliseconds(1) }, null, null, CancellationToken.None);
        Assert.Equal(XnatImportStatus.Pending, Assert.Single(early).Status);
        await site.Xnat.Dqr.RunUntilIdleAsync();
        var done = Assert.Single(Wait(site, xnat, requests));
        Assert.Equal(XnatImportStatus.Received, done.Status);
    }

    [Fact]
    public async Task Waiting_stops_on_cancellation()
    {
        await using var site = await StartAsync();
        using var xnat = await site.ConnectAsync();
        var requests = Request(xnat, Ask("1.3.1"));
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Assert.ThrowsAny<OperationCanceledException>(() => new XnatImportWaiter(xnat).Wait(requests, new XnatImportWaitOptions { PollInterval = TimeSpan.FromSeconds(30) }, null, null, stop.Token));
    }
}
