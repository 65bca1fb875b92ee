using System.Diagnostics;
using HandiImaging.TestPeers;

namespace HandiImaging.Dicom.Tests.Integration;

/// <summary>The client against dcmqrscp and Orthanc: every case runs on both peers.</summary>
[Collection(PeerCollection.Name)]
public sealed class RealPeerTests(PeerFixture peers)
{
    public static TheoryData<string> Peers => new() { "dcmqrscp", "orthanc" };

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Echo_reports_the_negotiated_details(string peer)
    {
        var echo = await DicomClient.EchoAsync(peers.Options(peer));

        Assert.True(echo.IsSuccess);
        Assert.InRange(echo.RoundTrip, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal(DicomTransferSyntax.ExplicitVRLittleEndian, echo.AcceptedTransferSyntax);
        Assert.True(echo.PeerMaxPduLength > 0);
        Assert.StartsWith("1.2.276.0.7230010.3", echo.PeerImplementationClassUid); // both peers are built on dcmtk
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Find_by_patient_returns_that_patients_studies_with_requested_keys(string peer)
    {
        var matches = await FindAsync(peer, StudyQuery().Set(DicomTags.PatientId, "PID001"));

        Assert.Equal(
            new[] { KnownStudies.Doe2023.StudyInstanceUid, KnownStudies.Doe2024.StudyInstanceUid }.Order(),
            matches.Select(m => m.GetString(DicomTags.StudyInstanceUid)!).Order());
        var knee = matches.Single(m => m.GetString(DicomTags.StudyInstanceUid) == KnownStudies.Doe2024.StudyInstanceUid);
        Assert.Equal("DOE^JOHN", knee.GetString(DicomTags.PatientName));
        Assert.Equal("20240601", knee.GetString(DicomTags.StudyDate));
        Assert.Equal("ACC1002", knee.GetString(DicomTags.AccessionNumber));
        Assert.Equal("MR KNEE", knee.GetString(DicomTags.StudyDescription));
    }

    [Theory]
    [InlineData("dcmqrscp", "20220101-20231231", "mueller-latin1,doe-2023")]
    [InlineData("orthanc", "20220101-20231231", "mueller-latin1,doe-2023")]
    [InlineData("dcmqrscp", "-20221231", "mueller-latin1,nowak-utf8")]
    [InlineData("orthanc", "-20221231", "mueller-latin1,nowak-utf8")]
    [InlineData("dcmqrscp", "20230101-", "doe-2023,doe-2024")]
    [InlineData("orthanc", "20230101-", "doe-2023,doe-2024")]
    public async Task Find_by_date_range_closed_and_open_ended(string peer, string range, string expectedNames)
    {
        var matches = await FindAsync(peer, StudyQuery().Set(DicomTags.PatientId, "PID00*").Set(DicomTags.StudyDate, range));

        Assert.Equal(
            expectedNames.Split(',').Select(TestStudy.UidFor).Order(),
            matches.Select(m => m.GetString(DicomTags.StudyInstanceUid)!).Order());
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Find_by_uid_list_returns_exactly_those_studies(string peer)
    {
        var uids = new[] { KnownStudies.Doe2023.StudyInstanceUid, KnownStudies.NowakUtf8.StudyInstanceUid };

        var matches = await FindAsync(peer, StudyQuery().Set(DicomTags.StudyInstanceUid, uids));

        Assert.Equal(uids.Order(), matches.Select(m => m.GetString(DicomTags.StudyInstanceUid)!).Order());
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Find_by_accession_number(string peer)
    {
        var matches = await FindAsync(peer, StudyQuery().Set(DicomTags.AccessionNumber, "ACC2001"));

        Assert.Equal(KnownStudies.MuellerLatin1.StudyInstanceUid, Assert.Single(matches).GetString(DicomTags.StudyInstanceUid));
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Latin1_and_utf8_names_and_descriptions_come_back_exactly(string peer)
    {
        var matches = await FindAsync(peer, StudyQuery().Set(DicomTags.PatientId, "PID00*"));

        foreach (var study in new[] { KnownStudies.MuellerLatin1, KnownStudies.NowakUtf8 })
        {
            var match = matches.Single(m => m.GetString(DicomTags.StudyInstanceUid) == study.StudyInstanceUid);
            Assert.Equal(study.PatientName, match.GetString(DicomTags.PatientName));
            Assert.Equal(study.StudyDescription, match.GetString(DicomTags.StudyDescription));
        }
    }

    [Fact]
    public async Task A_query_with_non_ascii_text_is_sent_as_utf8_and_matches()
    {
        // dcmqrscp compares in the query's character set, so this proves the ISO_IR 192 encoding on the wire.
        var matches = await FindAsync("dcmqrscp", StudyQuery().Set(DicomTags.PatientName, KnownStudies.NowakUtf8.PatientName));

        Assert.Equal(KnownStudies.NowakUtf8.StudyInstanceUid, Assert.Single(matches).GetString(DicomTags.StudyInstanceUid));
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Several_operations_run_one_after_another_on_one_association(string peer)
    {
        await using var association = await DicomAssociation.OpenAsync(peers.Options(peer), DicomServices.StudyRootFind);

        for (var i = 0; i < 3; i++)
        {
            Assert.True((await association.EchoAsync()).IsSuccess);
            var find = association.Find(QueryRetrieveModel.StudyRoot, StudyQuery().Set(DicomTags.PatientId, "PID002"));
            Assert.Single(await find.ToListAsync());
            Assert.True(find.Outcome!.IsSuccess);
        }
        Assert.True(association.IsUsable);
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Wrong_called_ae_title_is_rejected_with_a_sentence_naming_it(string peer)
    {
        var options = peers.Options(peer) with { CalledAeTitle = "NOT_THE_PACS" };

        var error = await Assert.ThrowsAsync<DicomAssociationRejectedException>(() => DicomClient.EchoAsync(options));

        Assert.Contains("called AE title 'NOT_THE_PACS' is not recognised", error.Message);
        Assert.Contains(options.Endpoint, error.Message);
    }

    [Fact]
    public async Task Orthanc_accepting_then_aborting_an_unregistered_caller_says_the_calling_ae_is_probably_not_registered()
    {
        var options = peers.Options("orthanc", callingAe: "STRANGER");
        await using var association = await DicomAssociation.OpenAsync(options, DicomServices.StudyRootFind);

        var error = await Assert.ThrowsAsync<DicomAssociationAbortedException>(
            () => association.Find(QueryRetrieveModel.StudyRoot, StudyQuery().Set(DicomTags.PatientId, "PID001")).ToListAsync());

        Assert.True(error.OnFirstRequest);
        Assert.Contains("calling AE title 'STRANGER' is probably not registered", error.Message);
        Assert.False(association.IsUsable);
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Move_delivers_every_instance_to_storescp_and_reports_counts(string peer)
    {
        var study = KnownStudies.Doe2024;
        await using var association = await DicomAssociation.OpenAsync(peers.Options(peer), DicomServices.StudyRootMove);
        var progress = new List<DicomMoveProgress>();

        var result = await association.MoveAsync(
            QueryRetrieveModel.StudyRoot, KnownStudies.MoveDestinationAe,
            new DicomDataset().Set(DicomTags.QueryRetrieveLevel, "STUDY").Set(DicomTags.StudyInstanceUid, study.StudyInstanceUid),
            new Progress<DicomMoveProgress>(p => { lock (progress) { progress.Add(p); } }));

        Assert.True(result.IsSuccess, result.Message);
        Assert.Equal(study.InstanceCount, result.Completed);
        Assert.Equal(0, result.Failed);
        var received = peers.MoveDestination.ReceivedFiles().Select(Path.GetFileName).ToList();
        for (var s = 1; s <= study.SeriesCount; s++)
        {
            for (var i = 1; i <= study.InstancesPerSeries; i++)
            {
                var uid = study.SopInstanceUid(s, i);
                Assert.Contains(received, name => name!.EndsWith(uid, StringComparison.Ordinal));
            }
        }
    }

    [Theory]
    [InlineData("dcmqrscp", 0xA801, "does not know the move destination 'NOWHERE'")]
    [InlineData("orthanc", 0xC000, "destination AE 'NOWHERE' is not known to the PACS")]
    public async Task Move_to_an_unknown_destination_explains_the_status(string peer, int status, string explanation)
    {
        await using var association = await DicomAssociation.OpenAsync(peers.Options(peer), DicomServices.StudyRootMove);

        var result = await association.MoveAsync(
            QueryRetrieveModel.StudyRoot, "NOWHERE",
            new DicomDataset().Set(DicomTags.QueryRetrieveLevel, "STUDY").Set(DicomTags.StudyInstanceUid, KnownStudies.Doe2023.StudyInstanceUid));

        Assert.False(result.IsSuccess);
        Assert.Equal(status, result.Status.Code);
        Assert.Contains(explanation, result.Message);
    }

    [Theory]
    [MemberData(nameof(Peers))]
    public async Task Cancelling_a_long_query_returns_promptly_and_leaves_a_usable_association(string peer)
    {
        var options = peers.Options(peer) with { CancelDrainTimeout = TimeSpan.FromSeconds(2) };
        await using var association = await DicomAssociation.OpenAsync(options, DicomServices.StudyRootFind);
        using var cancel = new CancellationTokenSource();
        var seen = 0;
        var stopwatch = new Stopwatch();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            var find = association.Find(QueryRetrieveModel.StudyRoot, StudyQuery().Set(DicomTags.PatientId, KnownStudies.BulkPatientId));
            await foreach (var _ in find.WithCancellation(cancel.Token))
            {
                seen++;
                stopwatch.Start();
                cancel.Cancel();
            }
        });

        Assert.Equal(1, seen);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, options.CancelDrainTimeout + TimeSpan.FromSeconds(1));
        // dcmqrscp ignores C-CANCEL but does send its final response, so the drain succeeds on both peers.
        Assert.True((await association.EchoAsync()).IsSuccess);
    }

    private async Task<IReadOnlyList<DicomDataset>> FindAsync(string peer, DicomDataset identifier)
    {
        await using var association = await DicomAssociation.OpenAsync(peers.Options(peer), DicomServices.StudyRootFind);
        var find = association.Find(QueryRetrieveModel.StudyRoot, identifier);
        var matches = await find.ToListAsync();
        Assert.True(find.Outcome!.IsSuccess, find.Outcome.ToString());
        Assert.Equal(matches.Count, find.Outcome.MatchCount);
        return matches;
    }

    /// <summary>A STUDY-level identifier asking for the keys the product needs back.</summary>
    internal static DicomDataset StudyQuery() => new DicomDataset()
        .Set(DicomTags.QueryRetrieveLevel, "STUDY")
        .Set(DicomTags.PatientId, (string?)null)
        .Set(DicomTags.PatientName, (string?)null)
        .Set(DicomTags.StudyDate, (string?)null)
        .Set(DicomTags.StudyTime, (string?)null)
        .Set(DicomTags.AccessionNumber, (string?)null)
        .Set(DicomTags.StudyDescription, (string?)null)
        .Set(DicomTags.StudyInstanceUid, (string?)null)
        .Set(DicomTags.ModalitiesInStudy, (string?)null)
        .Set(DicomTags.NumberOfStudyRelatedSeries, (string?)null)
        .Set(DicomTags.NumberOfStudyRelatedInstances, (string?)null);
}
