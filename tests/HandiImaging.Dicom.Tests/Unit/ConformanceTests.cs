using System.Diagnostics;
using HandiImaging.Dicom.Pdu;
using HandiImaging.Dicom.Tests.Fakes;
using static HandiImaging.Dicom.Tests.Fakes.RawDataset;

namespace HandiImaging.Dicom.Tests.Unit;

/// <summary>Release, abort, C-MOVE and negotiation conformance (PS3.4, PS3.7, PS3.8) against the scripted SCP.</summary>
public sealed class ConformanceTests
{
    private static DicomDataset Study(string uid) => new DicomDataset().Set(DicomTags.QueryRetrieveLevel, "STUDY").Set(DicomTags.StudyInstanceUid, uid);

    [Fact]
    public async Task An_echo_stands_when_the_peer_never_answers_the_release()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var rq = await c.ReadMessageAsync();
            await c.SendEchoResponseAsync(rq.PresentationContextId, (ushort)rq.Command.GetInt32(DicomTags.MessageId)!);
            Assert.IsType<ReleaseRequestPdu>(await c.ReadPduAsync());
            // No A-RELEASE-RP: wait for the client to give up and abort.
            Assert.IsType<AbortPdu>(await c.ReadPduAsync());
        });
        var stopwatch = Stopwatch.StartNew();

        var echo = await DicomClient.EchoAsync(scp.Options());

        Assert.True(echo.IsSuccess);
        Assert.Contains("did not answer the release request within 2 s", echo.ReleaseWarning);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_release_collision_is_answered_with_our_release_response_first()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            Assert.IsType<ReleaseRequestPdu>(await c.ReadPduAsync());
            await c.SendAsync(new ReleaseRequestPdu());
            // AR-8/AR-9: the requestor answers the collision with A-RELEASE-RP and then waits for ours.
            Assert.IsType<ReleaseResponsePdu>(await c.ReadPduAsync());
            await c.SendAsync(new ReleaseResponsePdu());
        });
        var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        Assert.True(await association.ReleaseAsync());
        Assert.Null(association.ReleaseProblem);
    }

    [Fact]
    public async Task A_pdu_of_unknown_type_is_aborted_as_the_service_provider_with_reason_unrecognized_pdu()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            await c.ReadMessageAsync();
            // An unknown PDU type, then more bytes the client will never read: the A-ABORT must still arrive.
            await c.SendRawAsync(new byte[] { 0x09, 0, 0, 0, 0, 2, 0, 0 });
            await c.SendRawAsync(new byte[64 * 1024]);
            var abort = Assert.IsType<AbortPdu>(await c.ReadPduAsync());
            Assert.Equal((2, 1), (abort.Source, abort.Reason));
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        var error = await Assert.ThrowsAsync<DicomProtocolException>(() => association.EchoAsync());

        Assert.Contains("Unknown PDU type 0x09", error.Message);
        Assert.False(association.IsUsable);
    }

    [Fact]
    public async Task A_response_to_another_message_is_aborted_with_reason_unexpected_parameter()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendFindResponseAsync((ushort)(id + 1), 0x0000);
            var abort = Assert.IsType<AbortPdu>(await c.ReadPduAsync());
            Assert.Equal((2, 5), (abort.Source, abort.Reason));
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        await Assert.ThrowsAsync<DicomProtocolException>(() => association.Find(QueryRetrieveModel.StudyRoot, Study("")).ToListAsync());
    }

    [Fact]
    public async Task A_timeout_aborts_as_the_service_user()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            await c.ReadMessageAsync();
            var abort = Assert.IsType<AbortPdu>(await c.ReadPduAsync());
            Assert.Equal((0, 0), (abort.Source, abort.Reason));
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(TimeSpan.FromMilliseconds(300)), DicomServices.StudyRootFind);

        await Assert.ThrowsAsync<DicomTimeoutException>(() => association.EchoAsync());
    }

    [Fact]
    public async Task Move_totals_come_from_the_final_response_only_and_missing_counts_are_unknown()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendMoveResponseAsync(id, 0xFF00, remaining: 3, completed: 7, failed: 0, warning: 0);
            await c.SendMoveResponseAsync(id, 0x0000, completed: 10);
            await c.ReadPduAsync();
            await c.SendAsync(new ReleaseResponsePdu());
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootMove);
        var progress = new List<DicomMoveProgress>();

        var result = await association.MoveAsync(QueryRetrieveModel.StudyRoot, "DEST", Study("1.2.3"), new SyncProgress(progress.Add));

        Assert.True(result.IsSuccess);
        Assert.Equal(10, result.Completed);
        Assert.Null(result.Failed);
        Assert.Null(result.Warning);
        Assert.Null(result.Remaining);
        Assert.Contains("10 completed, unknown failed, unknown warning", result.Message);
        Assert.Equal(7, Assert.Single(progress).Completed);
    }

    [Fact]
    public async Task A_move_final_without_any_count_says_they_were_not_reported()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendMoveResponseAsync(id, 0xFF00, remaining: 1, completed: 4, failed: 0, warning: 0);
            await c.SendMoveResponseAsync(id, 0x0000);
            await c.ReadPduAsync();
            await c.SendAsync(new ReleaseResponsePdu());
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootMove);

        var result = await association.MoveAsync(QueryRetrieveModel.StudyRoot, "DEST", Study("1.2.3"));

        Assert.Null(result.Completed);
        Assert.Contains("sub-operation counts not reported", result.Message);
    }

    [Fact]
    public async Task B000_is_never_success_and_the_failed_instances_are_listed()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendMoveResponseAsync(id, 0xB000, remaining: 0, completed: 8, failed: 2, warning: 0, failedUids: new[] { "1.2.3.4.1", "1.2.3.4.2" });
            await c.ReadPduAsync();
            await c.SendAsync(new ReleaseResponsePdu());
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootMove);

        var result = await association.MoveAsync(QueryRetrieveModel.StudyRoot, "DEST", Study("1.2.3"));

        Assert.False(result.IsSuccess);
        Assert.Equal(2, result.Failed);
        Assert.Equal(new[] { "1.2.3.4.1", "1.2.3.4.2" }, result.FailedSopInstanceUids);
        Assert.Contains("finished with failures: 8 completed, 2 failed, 0 warning", result.Message);
    }

    [Fact]
    public async Task A801_names_the_destination_and_carries_the_pacs_error_comment()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendMoveResponseAsync(id, 0xA801, errorComment: "Unknown AE NOWHERE");
            await c.ReadPduAsync();
            await c.SendAsync(new ReleaseResponsePdu());
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootMove);

        var result = await association.MoveAsync(QueryRetrieveModel.StudyRoot, "NOWHERE", Study("1.2.3"));

        Assert.False(result.IsSuccess);
        Assert.Contains("does not know the move destination 'NOWHERE'", result.Message);
        Assert.Contains("PACS said: Unknown AE NOWHERE", result.Message);
        Assert.DoesNotContain("{comment}", result.Message);
    }

    [Fact]
    public async Task When_no_presentation_context_is_accepted_each_reason_is_named()
    {
        await using var scp = new FakeScp(async c =>
        {
            var rq = (AssociateRequestPdu)await c.ReadPduAsync();
            await c.SendAsync(new AssociateAcceptPdu("FAKE", "HANDI", DicomUids.ApplicationContext,
                rq.PresentationContexts.Select(p => new PresentationContextAnswer(p.Id,
                    p.AbstractSyntax == DicomUids.Verification ? PresentationContextResult.TransferSyntaxesNotSupported : PresentationContextResult.UserRejection,
                    DicomTransferSyntax.ImplicitVRLittleEndian.Uid)).ToList(),
                new UserInformation(16384, "1.2.3.4", null)));
            Assert.IsType<AbortPdu>(await c.ReadPduAsync());
        });

        var error = await Assert.ThrowsAsync<DicomServiceNotAcceptedException>(() => DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind));

        Assert.Contains("Verification: none of our transfer syntaxes accepted (4)", error.Message);
        Assert.Contains("Study Root C-FIND: refused by the PACS (user rejection, 1)", error.Message);
    }

    [Fact]
    public async Task A_match_with_an_unknown_vr_in_explicit_vr_is_read_not_aborted()
    {
        var match = new byte[]
        {
            0x09, 0x00, 0x10, 0x00, (byte)'X', (byte)'Y', 0, 0, 2, 0, 0, 0, 0xAB, 0xCD,
            0x10, 0x00, 0x20, 0x00, (byte)'L', (byte)'O', 2, 0, (byte)'P', (byte)'1',
        };
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync(transferSyntax: DicomTransferSyntax.ExplicitVRLittleEndian.Uid);
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendFindResponseAsync(id, 0xFF00, match);
            await c.SendFindResponseAsync(id, 0x0000, (byte[]?)null);
            await c.ReadPduAsync();
            await c.SendAsync(new ReleaseResponsePdu());
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        var matches = await association.Find(QueryRetrieveModel.StudyRoot, Study("")).ToListAsync();

        Assert.Equal("P1", Assert.Single(matches).GetString(DicomTags.PatientId));
        Assert.Equal(DicomVR.UN, matches[0].GetElement(new DicomTag(0x0009, 0x0010))!.VR);
        Assert.True(association.IsUsable);
    }

    [Fact]
    public async Task A_korean_answer_over_the_wire_is_decoded_by_its_own_character_set()
    {
        var match = new RawDataset()
            .Add(DicomTags.SpecificCharacterSet, "\\ISO 2022 IR 149")
            .Add(DicomTags.PatientName, Concat("Hong^Gildong=", Hex("1B 24 29 43 FB F3"), "^", Hex("1B 24 29 43 D1 CE D4 D7"), "=",
                Hex("1B 24 29 43 C8 AB"), "^", Hex("1B 24 29 43 B1 E6 B5 BF")))
            .Add(DicomTags.PatientId, "K1").ToArray();
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            await c.ServeFindsAsync(_ => new FindAnswer(new[] { match }));
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        var matches = await association.Find(QueryRetrieveModel.StudyRoot, Study("")).ToListAsync();

        Assert.Equal("Hong^Gildong=洪^吉洞=홍^길동", Assert.Single(matches).GetString(DicomTags.PatientName));
    }

    private sealed class SyncProgress(Action<DicomMoveProgress> report) : IProgress<DicomMoveProgress>
    {
        public void Report(DicomMoveProgress value) => report(value);
    }
}
