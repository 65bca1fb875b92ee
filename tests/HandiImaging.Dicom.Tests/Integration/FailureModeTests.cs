using System.Diagnostics;
using HandiImaging.TestPeers;

namespace HandiImaging.Dicom.Tests.Integration;

/// <summary>Peers that misbehave or are missing: every case must end in a clear error within its deadline.</summary>
public sealed class FailureModeTests
{
    private static DicomClientOptions Options(int port, string calledAe = "QRSCP") => new()
    {
        Host = "127.0.0.1",
        Port = port,
        CalledAeTitle = calledAe,
        CallingAeTitle = "HANDI",
        ConnectTimeout = TimeSpan.FromSeconds(2),
        AssociationTimeout = TimeSpan.FromSeconds(1),
        ResponseTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task Nothing_listening_says_so()
    {
        var port = FreePorts.Next();

        var error = await Assert.ThrowsAsync<DicomConnectionException>(() => DicomClient.EchoAsync(Options(port)));

        Assert.Contains($"Nothing is listening at 127.0.0.1:{port}", error.Message);
    }

    [Fact]
    public async Task A_peer_that_accepts_tcp_but_never_answers_ends_in_a_timeout_within_the_deadline()
    {
        await using var stalled = StalledPeer.Start();
        var stopwatch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<DicomTimeoutException>(() => DicomClient.EchoAsync(Options(stalled.Port)));

        Assert.Equal(DicomTimeoutPhase.Association, error.Phase);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
        Assert.Contains("did not answer the association request within 1 s", error.Message);
    }

    [Fact]
    public async Task A_peer_killed_mid_query_ends_the_query_with_an_error_long_before_the_response_deadline()
    {
        await using var pacs = await DcmqrscpPeer.StartAsync();
        await using var association = await DicomAssociation.OpenAsync(Options(pacs.Port), DicomServices.StudyRootFind);
        Assert.True((await association.EchoAsync()).IsSuccess);
        // dcmqrscp forks a child per association; freeze ours so the query is certainly outstanding when it dies.
        // Ours is the child holding our connection: the start-up check's child may still be exiting beside it.
        var server = pacs.AssociationProcessId(((System.Net.IPEndPoint)association.LocalEndPoint!).Port);
        PeerProcess.SendSignal(server, PosixSignalNumber.Stop);
        var stopwatch = Stopwatch.StartNew();

        var query = association.Find(QueryRetrieveModel.StudyRoot, RealPeerTests.StudyQuery().Set(DicomTags.PatientId, "X")).ToListAsync();
        await Task.Delay(300);
        Assert.False(query.IsCompleted);
        PeerProcess.SendSignal(server, PosixSignalNumber.Kill);
        var error = await Assert.ThrowsAsync<DicomAssociationAbortedException>(() => query);

        Assert.False(error.OnFirstRequest);
        Assert.Contains("closed the connection during an operation", error.Message);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
    }
}

/// <summary>Orthanc with LimitFindResults: the cap shows as a non-success final status after matches.</summary>
public sealed class CappedOrthancTests
{
    [Fact]
    public async Task A_capped_answer_is_flagged_as_possibly_truncated()
    {
        var studies = TestStudyGenerator.Generate(patientCount: 1, studyCount: 12, seed: 3, patientPrefix: "CAP");
        await using var pacs = await OrthancPeer.StartAsync(studies, new OrthancPeerOptions { LimitFindResults = 5 });
        await using var association = await DicomAssociation.OpenAsync(pacs.ClientOptions(), DicomServices.StudyRootFind);

        var find = association.Find(QueryRetrieveModel.StudyRoot, RealPeerTests.StudyQuery().Set(DicomTags.PatientId, studies[0].PatientId));
        var matches = await find.ToListAsync();

        Assert.Equal(5, matches.Count);
        Assert.Equal(0xFE00, find.Outcome!.Status.Code);
        Assert.True(find.Outcome.IsPossiblyTruncated);
    }
}
