using HandiImaging.Core.Xnat;

namespace HandiImaging.Xnat.Tests;

/// <summary>The waiter's matching of a request to DQR queue and history rows (by UID and queued time, never by id).</summary>
public class XnatCorrelationTests
{
    private static readonly DateTime Now = new(2024, 3, 1, 12, 0, 0, DateTimeKind.Utc);
    private const long Queued = 1709290800000; // 2024-03-01 11:00 UTC
    private static readonly XnatImportWaitOptions Options = new() { StaleAfter = TimeSpan.FromMinutes(30), MissingPollsBeforeLost = 2 };

    private static XnatImportRequest Request() => new()
    {
        Project = "P",
        StudyInstanceUid = "1.2.3",
        Status = XnatImportStatus.Queued,
        RequestId = 5,
        QueuedTime = XnatValues.FromEpochMilliseconds(Queued),
        RequestedAt = Now.AddHours(-1),
    };

    private static DqrRequestEntry Row(long id, string status, long? executed, long? queued = Queued, string error = "") =>
        new() { Id = id, StudyInstanceUid = "1.2.3", Status = status, ExecutedTime = executed, QueuedTime = queued, ErrorMessage = error, XnatProject = "P" };

    private static XnatImportRequest Correlate(IEnumerable<DqrRequestEntry> queue, IEnumerable<DqrRequestEntry> history)
    {
        var missing = 0;
        return XnatImportWaiter.Correlate(Request(), queue, history, Now, Options, ref missing);
    }

    [Fact]
    public void Received_history_row_with_another_id_ends_the_request()
    {
        var result = Correlate(Array.Empty<DqrRequestEntry>(), new[] { Row(900, "RECEIVED", Queued + 1000) });
        Assert.Equal(XnatImportStatus.Received, result.Status);
    }

    [Fact]
    public void A_row_of_an_earlier_import_of_the_same_study_is_not_ours()
    {
        var old = Row(5, "RECEIVED", Queued - 86_400_000, queued: Queued - 90_000_000);
        var result = Correlate(new[] { Row(5, "QUEUED", null) }, new[] { old });
        Assert.Equal(XnatImportStatus.Queued, result.Status);
    }

    [Fact]
    public void Failed_while_still_queued_is_being_retried_not_failed()
    {
        var result = Correlate(new[] { Row(5, "QUEUED", null) }, new[] { Row(901, "FAILED", Queued + 1000, error: "C-MOVE failed") });
        Assert.Equal(XnatImportStatus.Queued, result.Status);
        Assert.Equal(1, result.Attempts);
    }

    [Fact]
    public void Failed_and_gone_from_the_queue_is_failed_with_the_last_message()
    {
        var history = Enumerable.Range(0, 5).Select(i => Row(910 + i, "FAILED", Queued + i * 300_000, error: "attempt " + (i + 1)));
        var result = Correlate(Array.Empty<DqrRequestEntry>(), history);
        Assert.Equal(XnatImportStatus.Failed, result.Status);
        Assert.Equal(5, result.Attempts);
        Assert.Contains("attempt 5", result.Reason);
        Assert.True(result.IsFailure);
    }

    [Fact]
    public void Issued_longer_than_the_stale_limit_is_stale()
    {
        var executed = (long)(Now.AddMinutes(-31) - DateTime.UnixEpoch).TotalMilliseconds;
        Assert.Equal(XnatImportStatus.Stale, Correlate(Array.Empty<DqrRequestEntry>(), new[] { Row(920, "ISSUED", executed) }).Status);
        var recent = (long)(Now.AddMinutes(-5) - DateTime.UnixEpoch).TotalMilliseconds;
        Assert.Equal(XnatImportStatus.Issued, Correlate(Array.Empty<DqrRequestEntry>(), new[] { Row(921, "ISSUED", recent) }).Status);
    }

    [Fact]
    public void History_rows_without_queued_time_match_by_time_after_the_request()
    {
        var executed = (long)(Now.AddMinutes(-10) - DateTime.UnixEpoch).TotalMilliseconds;
        var result = Correlate(Array.Empty<DqrRequestEntry>(), new[] { Row(930, "RECEIVED", executed, queued: null) });
        Assert.Equal(XnatImportStatus.Received, result.Status);
    }

    [Fact]
    public void Gone_from_queue_and_history_is_lost_after_the_allowed_polls()
    {
        var missing = 0;
        var first = XnatImportWaiter.Correlate(Request(), Array.Empty<DqrRequestEntry>(), Array.Empty<DqrRequestEntry>(), Now, Options, ref missing);
        Assert.Equal(XnatImportStatus.Queued, first.Status);
        var second = XnatImportWaiter.Correlate(first, Array.Empty<DqrRequestEntry>(), Array.Empty<DqrRequestEntry>(), Now, Options, ref missing);
        Assert.Equal(XnatImportStatus.Lost, second.Status);
    }

    [Fact]
    public void Another_projects_row_is_not_ours()
    {
        var other = Row(940, "RECEIVED", Queued + 1000);
        other.XnatProject = "OTHER";
        Assert.Equal(XnatImportStatus.Queued, Correlate(new[] { Row(5, "QUEUED", null) }, new[] { other }).Status);
    }

    [Fact]
    public void A_failure_carries_the_original_description()
    {
        var failure = (Request() with { Subject = "NN_H1", AccessionNumber = "RAD1", HospitalId = "H1", StudyDate = new DateTime(2024, 2, 1), StudyDescription = "CT NECK, contrast", Status = XnatImportStatus.Stale })
            .ToFailure("XNAT import Stale");
        Assert.Equal("CT NECK, contrast", failure.StudyDescription);
        Assert.Equal("2024-02-01", failure.StudyDate);
        Assert.Equal("NN_H1", failure.Subject);
        Assert.Equal("1.2.3", failure.StudyInstanceUid);
    }
}
