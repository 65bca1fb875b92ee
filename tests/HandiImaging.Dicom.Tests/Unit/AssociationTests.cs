using System.Diagnostics;
using HandiImaging.Dicom.Pdu;
using HandiImaging.Dicom.Tests.Fakes;

namespace HandiImaging.Dicom.Tests.Unit;

/// <summary>Association and DIMSE state logic against a scripted SCP.</summary>
public sealed class AssociationTests
{
    private static DicomDataset Query() => new DicomDataset().Set(DicomTags.QueryRetrieveLevel, "STUDY").Set(DicomTags.PatientId, "P1");

    [Theory]
    [InlineData(1, 1, 7, "called AE title 'FAKE' is not recognised — check -CalledAeTitle")]
    [InlineData(1, 1, 3, "calling AE title 'HANDI' is not recognised")]
    [InlineData(2, 3, 1, "temporarily congested")]
    [InlineData(2, 3, 2, "limit of simultaneous associations")]
    public async Task Rejections_become_sentences_an_admin_can_act_on(byte result, byte source, byte reason, string sentence)
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.ReadPduAsync();
            await c.SendAsync(new AssociateRejectPdu(result, source, reason));
        });

        var error = await Assert.ThrowsAsync<DicomAssociationRejectedException>(() => DicomClient.EchoAsync(scp.Options()));

        Assert.Contains(sentence, error.Message);
        Assert.Equal(result == 2, error.IsTransient);
    }

    [Fact]
    public async Task Echo_reports_the_syntax_the_peer_picked_and_its_identity()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync(maxPduLength: 8192, transferSyntax: DicomTransferSyntax.ImplicitVRLittleEndian.Uid);
            var rq = await c.ReadMessageAsync();
            var rsp = new DicomDataset()
                .Set(DicomTags.CommandField, (ushort)0x8030)
                .Set(DicomTags.MessageIdBeingRespondedTo, (ushort)rq.Command.GetInt32(DicomTags.MessageId)!)
                .Set(DicomTags.CommandDataSetType, (ushort)0x0101)
                .Set(DicomTags.Status, (ushort)0);
            await c.SendRawAsync(PdvFragmenter.Fragment(rq.PresentationContextId, DimseCommands.Encode(rsp), null, 8192).SelectMany(PduCodec.Encode).ToArray());
            await c.ReadPduAsync();
            await c.SendAsync(new ReleaseResponsePdu());
        });

        var echo = await DicomClient.EchoAsync(scp.Options());

        Assert.True(echo.IsSuccess);
        Assert.Equal(DicomTransferSyntax.ImplicitVRLittleEndian, echo.AcceptedTransferSyntax);
        Assert.Equal(8192u, echo.PeerMaxPduLength);
        Assert.Equal("1.2.3.4", echo.PeerImplementationClassUid);
        Assert.Equal("FAKE", echo.PeerImplementationVersionName);
        Assert.IsType<ReleaseRequestPdu>(scp.Received.Last());
    }

    [Fact]
    public async Task Find_streams_matches_and_reads_a_dataset_on_the_final_response()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var rq = await c.ReadMessageAsync();
            var id = (ushort)rq.Command.GetInt32(DicomTags.MessageId)!;
            await c.SendFindResponseAsync(id, 0xFF00, Samples.Match(1));
            // Any CommandDataSetType other than 0x0101 announces a dataset.
            await c.SendFindResponseAsync(id, 0xFF01, Samples.Match(2), dataSetType: 0x0102);
            await c.SendFindResponseAsync(id, 0x0000, new DicomDataset().Set(DicomTags.PatientId, "LEFTOVER"));
            await c.ReadPduAsync();
            await c.SendAsync(new ReleaseResponsePdu());
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        var find = association.Find(QueryRetrieveModel.StudyRoot, Query());
        var matches = await find.ToListAsync();

        Assert.Equal(new[] { "P1", "P2" }, matches.Select(m => m.GetString(DicomTags.PatientId)));
        Assert.Equal("MÜLLER^JÖRG", matches[1].GetString(DicomTags.PatientName));
        Assert.True(find.Outcome!.IsSuccess);
        Assert.Equal(2, find.Outcome.MatchCount);
        Assert.True(association.IsUsable);
    }

    [Fact]
    public async Task A_cancelled_final_status_after_matches_is_flagged_as_possibly_truncated()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendFindResponseAsync(id, 0xFF00, Samples.Match(1));
            await c.SendFindResponseAsync(id, 0xFE00);
            await c.ReadPduAsync();
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        var find = association.Find(QueryRetrieveModel.StudyRoot, Query());
        await find.ToListAsync();

        Assert.True(find.Outcome!.IsPossiblyTruncated);
    }

    [Fact]
    public async Task A_peer_that_stalls_after_a_match_ends_in_a_response_timeout_and_an_abort()
    {
        var stalled = new TaskCompletionSource();
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendFindResponseAsync(id, 0xFF00, Samples.Match(1));
            Assert.IsType<AbortPdu>(await c.ReadPduAsync());
            stalled.SetResult();
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(TimeSpan.FromMilliseconds(400)), DicomServices.StudyRootFind);
        var stopwatch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<DicomTimeoutException>(() => association.Find(QueryRetrieveModel.StudyRoot, Query()).ToListAsync());

        Assert.Equal(DicomTimeoutPhase.Response, error.Phase);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(3));
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(association.IsUsable);
    }

    [Fact]
    public async Task A_peer_abort_mid_find_is_reported_as_an_abort_not_a_registration_problem()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendFindResponseAsync(id, 0xFF00, Samples.Match(1));
            await c.SendAsync(new AbortPdu(2, 0));
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        var error = await Assert.ThrowsAsync<DicomAssociationAbortedException>(() => association.Find(QueryRetrieveModel.StudyRoot, Query()).ToListAsync());

        Assert.False(error.OnFirstRequest);
        Assert.Contains("sent A-ABORT", error.Message);
    }

    [Fact]
    public async Task An_abort_on_the_first_request_points_at_the_calling_ae_registration()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            await c.ReadMessageAsync();
            await c.SendAsync(new AbortPdu(0, 0));
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        var error = await Assert.ThrowsAsync<DicomAssociationAbortedException>(() => association.EchoAsync());

        Assert.True(error.OnFirstRequest);
        Assert.Contains("calling AE title 'HANDI' is probably not registered on the PACS", error.Message);
    }

    [Fact]
    public async Task A_response_to_another_message_id_is_a_protocol_error_that_aborts()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendFindResponseAsync((ushort)(id + 40), 0xFF00, Samples.Match(1));
            Assert.IsType<AbortPdu>(await c.ReadPduAsync());
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        var error = await Assert.ThrowsAsync<DicomProtocolException>(() => association.Find(QueryRetrieveModel.StudyRoot, Query()).ToListAsync());

        Assert.Contains("answering message", error.Message);
        Assert.False(association.IsUsable);
    }

    [Fact]
    public async Task A_peer_that_ignores_cancel_is_drained_briefly_then_aborted()
    {
        ushort? cancelled = null;
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendFindResponseAsync(id, 0xFF00, Samples.Match(1));
            var cancel = await c.ReadMessageAsync();
            Assert.Equal(0x0FFF, cancel.CommandField);
            cancelled = cancel.MessageIdBeingRespondedTo;
            // Keep answering as if nothing happened, until the client gives up.
            try
            {
                for (var i = 0; i < 200; i++)
                {
                    await c.SendFindResponseAsync(id, 0xFF00, Samples.Match(i));
                    await Task.Delay(20);
                }
            }
            catch (IOException)
            {
            }
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);
        using var cts = new CancellationTokenSource();
        var stopwatch = new Stopwatch();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in association.Find(QueryRetrieveModel.StudyRoot, Query()).WithCancellation(cts.Token))
            {
                stopwatch.Start();
                cts.Cancel();
            }
        });

        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(2));
        Assert.Equal((ushort)1, cancelled);
        Assert.False(association.IsUsable);
    }

    [Fact]
    public async Task Outgoing_messages_respect_the_peer_maximum_pdu_length()
    {
        var longId = new string('7', 9000);
        string? receivedId = null;
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync(maxPduLength: 4096);
            var rq = await c.ReadMessageAsync();
            receivedId = DicomDatasetCodec.Decode(rq.Dataset!, DicomTransferSyntax.ImplicitVRLittleEndian).GetString(DicomTags.PatientId);
            await c.SendFindResponseAsync((ushort)rq.Command.GetInt32(DicomTags.MessageId)!, 0x0000);
            await c.ReadPduAsync();
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        await association.Find(QueryRetrieveModel.StudyRoot, new DicomDataset().Set(DicomTags.PatientId, longId)).ToListAsync();

        var data = scp.Received.OfType<DataTransferPdu>().ToList();
        Assert.True(data.Count >= 3);
        Assert.All(data, p => Assert.InRange(PduCodec.Encode(p).Length - PduCodec.HeaderLength, 1, 4096));
        Assert.Equal(longId, receivedId);
    }

    [Fact]
    public async Task Leaving_a_find_loop_early_cancels_and_keeps_the_association_when_the_peer_complies()
    {
        await using var scp = new FakeScp(async c =>
        {
            await c.AcceptAsync();
            var id = (ushort)(await c.ReadMessageAsync()).Command.GetInt32(DicomTags.MessageId)!;
            await c.SendFindResponseAsync(id, 0xFF00, Samples.Match(1));
            Assert.Equal(0x0FFF, (await c.ReadMessageAsync()).CommandField);
            await c.SendFindResponseAsync(id, 0xFE00);
            await c.ReadPduAsync();
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootFind);

        await foreach (var _ in association.Find(QueryRetrieveModel.StudyRoot, Query()))
        {
            break;
        }

        Assert.True(association.IsUsable);
    }

    [Fact]
    public async Task A_service_the_peer_refused_is_named_in_the_error()
    {
        await using var scp = new FakeScp(async c =>
        {
            var rq = (AssociateRequestPdu)await c.ReadPduAsync();
            await c.SendAsync(new AssociateAcceptPdu("FAKE", "HANDI", DicomUids.ApplicationContext,
                rq.PresentationContexts.Select(p => new PresentationContextAnswer(p.Id,
                    p.AbstractSyntax == DicomUids.Verification ? PresentationContextResult.Accepted : PresentationContextResult.AbstractSyntaxNotSupported,
                    DicomTransferSyntax.ImplicitVRLittleEndian.Uid)).ToList(),
                new UserInformation(16384, "1.2.3.4", null)));
            await c.ReadPduAsync();
        });
        await using var association = await DicomAssociation.OpenAsync(scp.Options(), DicomServices.StudyRootMove);

        var error = await Assert.ThrowsAsync<DicomServiceNotAcceptedException>(() => association.MoveAsync(QueryRetrieveModel.StudyRoot, "DEST", Query()));

        Assert.Contains("Study Root C-MOVE", error.Message);
        Assert.Contains("service not supported (abstract syntax not supported, 3)", error.Message);
    }
}
