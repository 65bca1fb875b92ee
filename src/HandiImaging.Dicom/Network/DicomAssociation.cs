using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using HandiImaging.Dicom.Pdu;

namespace HandiImaging.Dicom;

/// <summary>
/// An open DICOM association with a PACS, used as an SCU. One operation at a time; several operations may run
/// one after another. Every wait has a deadline from <see cref="DicomClientOptions"/>; when one expires the
/// association is aborted and closed and a <see cref="DicomTimeoutException"/> is thrown.
/// Dispose releases the association (or aborts it if release fails).
/// </summary>
public sealed class DicomAssociation : IAsyncDisposable, IDisposable
{
    /// <summary>How long an abort waits for the peer to close after our A-ABORT, so closing cannot reset it away.</summary>
    private static readonly TimeSpan AbortLinger = TimeSpan.FromMilliseconds(500);

    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly Dictionary<byte, AcceptedContext> _contexts = new();
    private readonly Dictionary<string, PresentationContextResult> _refusals = new();
    private readonly Queue<DimseMessage> _ready = new();
    private readonly DimseMessageAssembler _assembler;
    private Task<DicomPdu>? _pendingRead;
    private ushort _lastMessageId;
    private int _busy;
    private int _requestsSent;
    private int _responsesReceived;
    private volatile bool _closed;
    private string? _closeReason;

    private DicomAssociation(DicomClientOptions options, TcpClient tcp)
    {
        Options = options;
        _tcp = tcp;
        _stream = tcp.GetStream();
        _assembler = new DimseMessageAssembler(options.MaxDatasetLength);
    }

    public DicomClientOptions Options { get; }
    /// <summary>The peer's maximum PDU length; 0 = unlimited.</summary>
    public uint PeerMaxPduLength { get; private set; }
    public string PeerImplementationClassUid { get; private set; } = "";
    public string? PeerImplementationVersionName { get; private set; }

    /// <summary>Why the last <see cref="ReleaseAsync"/> was not confirmed by the PACS; null when it was (or none ran).</summary>
    public string? ReleaseProblem { get; private set; }

    /// <summary>Our end of the connection, for tests that must find the peer process serving it.</summary>
    internal System.Net.EndPoint? LocalEndPoint => _closed ? null : _tcp.Client.LocalEndPoint;

    /// <summary>
    /// True when the association is open, idle, and the peer has not closed or aborted it meanwhile (peers
    /// abort idle associations, Orthanc after ~30 s). Use before reusing a pooled association.
    /// </summary>
    public bool IsUsable
    {
        get
        {
            if (_closed || Volatile.Read(ref _busy) != 0)
            {
                return false;
            }
            try
            {
                // Readable while idle means an A-ABORT or a closed connection is waiting.
                if (_tcp.Client.Poll(0, SelectMode.SelectRead))
                {
                    Close("the PACS closed the idle association");
                    return false;
                }
                return true;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Close("the connection failed");
                return false;
            }
        }
    }

    /// <summary>The transfer syntax the peer chose for a service, or null if it refused the service.</summary>
    public DicomTransferSyntax? GetAcceptedTransferSyntax(string sopClassUid) =>
        _contexts.Values.FirstOrDefault(c => c.AbstractSyntax == sopClassUid)?.TransferSyntax;

    /// <summary>Connects, negotiates the requested services (plus Verification) and returns the open association.</summary>
    /// <exception cref="DicomConnectionException">Nothing listening, unknown host, network error.</exception>
    /// <exception cref="DicomAssociationRejectedException">The PACS rejected us; the message says why.</exception>
    /// <exception cref="DicomTimeoutException">Connect or negotiation deadline.</exception>
    public static async Task<DicomAssociation> OpenAsync(
        DicomClientOptions options, DicomServices services, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var tcp = await ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        var association = new DicomAssociation(options, tcp);
        try
        {
            await association.NegotiateAsync(services | DicomServices.Verification, cancellationToken).ConfigureAwait(false);
            return association;
        }
        catch (DicomProtocolException e)
        {
            throw association.ProtocolAbort(e);
        }
        catch
        {
            association.Abort();
            throw;
        }
    }

    /// <summary>C-ECHO. Cancelling it aborts the association.</summary>
    public async Task<DicomEchoResult> EchoAsync(CancellationToken cancellationToken = default)
    {
        using var operation = BeginOperation();
        var context = RequireContext(DicomUids.Verification);
        var messageId = NextMessageId();
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await SendAsync(context.Id, DimseCommands.Echo(messageId), null, cancellationToken).ConfigureAwait(false);
            var response = await ReceiveResponseAsync(
                messageId, DimseCommands.CEchoResponse, Deadline.After(Options.ResponseTimeout),
                DicomTimeoutPhase.Response, cancellationToken).ConfigureAwait(false);
            stopwatch.Stop();
            return new DicomEchoResult
            {
                Status = response.Status,
                RoundTrip = stopwatch.Elapsed,
                AcceptedTransferSyntax = context.TransferSyntax,
                PeerMaxPduLength = PeerMaxPduLength,
                PeerImplementationClassUid = PeerImplementationClassUid,
                PeerImplementationVersionName = PeerImplementationVersionName,
            };
        }
        catch (OperationCanceledException)
        {
            Abort();
            throw;
        }
    }

    /// <summary>
    /// Prepares a C-FIND; nothing is sent until the result is enumerated. Matches stream as they arrive;
    /// <see cref="DicomFindOperation.Outcome"/> holds the final status afterwards. Cancelling (or leaving the
    /// loop early) sends C-CANCEL and drains to the final response; if none comes within
    /// <see cref="DicomClientOptions.CancelDrainTimeout"/> the association is aborted.
    /// </summary>
    public DicomFindOperation Find(QueryRetrieveModel model, DicomDataset identifier) =>
        new(this, model == QueryRetrieveModel.StudyRoot ? DicomUids.StudyRootFind : DicomUids.PatientRootFind, identifier);

    /// <summary>
    /// C-MOVE to <paramref name="destinationAeTitle"/>. Pending responses report progress and reset the
    /// response deadline; <see cref="DicomClientOptions.MoveTimeout"/> caps the whole move. A failure status
    /// is returned (with <see cref="DicomMoveResult.Message"/>), not thrown.
    /// </summary>
    public async Task<DicomMoveResult> MoveAsync(
        QueryRetrieveModel model,
        string destinationAeTitle,
        DicomDataset identifier,
        IProgress<DicomMoveProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        DicomClientOptions.ValidateAeTitle(destinationAeTitle, "Move destination");
        using var operation = BeginOperation();
        var sopClass = model == QueryRetrieveModel.StudyRoot ? DicomUids.StudyRootMove : DicomUids.PatientRootMove;
        var context = RequireContext(sopClass);
        var messageId = NextMessageId();
        var data = DicomDatasetCodec.Encode(identifier, context.TransferSyntax);
        await SendAsync(context.Id, DimseCommands.Move(sopClass, messageId, destinationAeTitle), data, cancellationToken)
            .ConfigureAwait(false);
        var overall = Deadline.After(Options.MoveTimeout);
        while (true)
        {
            var deadline = Deadline.Earlier(Deadline.After(Options.MoveResponseTimeout), overall);
            DimseMessage response;
            try
            {
                response = await ReceiveResponseAsync(
                    messageId, DimseCommands.CMoveResponse, deadline,
                    deadline.Is(overall) ? DicomTimeoutPhase.Move : DicomTimeoutPhase.Response,
                    cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await CancelAndDrainAsync(context.Id, messageId, DimseCommands.CMoveResponse).ConfigureAwait(false);
                throw;
            }
            var command = response.Command;
            // Each response's counts stand alone: the totals are the final response's, and a count it leaves
            // out is unknown — never a pending response's figure (PS3.4 C.4.2.1.6).
            var counts = new DicomMoveProgress(
                command.GetInt32(DicomTags.NumberOfRemainingSuboperations),
                command.GetInt32(DicomTags.NumberOfCompletedSuboperations),
                command.GetInt32(DicomTags.NumberOfFailedSuboperations),
                command.GetInt32(DicomTags.NumberOfWarningSuboperations));
            if (response.Status.IsPending)
            {
                progress?.Report(counts);
                continue;
            }
            var errorComment = command.GetString(DicomTags.ErrorComment);
            var failedInstances = response.Dataset == null
                ? Array.Empty<string>()
                : DecodeDataset(response.Dataset, context.TransferSyntax).GetStrings(DicomTags.FailedSopInstanceUidList).Where(u => u.Length > 0).ToArray();
            return new DicomMoveResult
            {
                Status = response.Status,
                Destination = destinationAeTitle,
                Remaining = counts.Remaining,
                Completed = counts.Completed,
                Failed = counts.Failed,
                Warning = counts.Warning,
                FailedSopInstanceUids = failedInstances,
                ErrorComment = errorComment,
                Message = DicomMessages.ExplainMove(Options, response.Status, destinationAeTitle, counts, errorComment),
            };
        }
    }

    /// <summary>
    /// A-RELEASE; closes the connection. Returns true when the PACS confirmed (A-RELEASE-RP). A PACS that does
    /// not confirm in time, aborts or just closes instead ends the association all the same: false, with
    /// <see cref="ReleaseProblem"/> saying what happened — the operations before it stand. A release collision
    /// (the PACS asks to release at the same time) is answered as PS3.8 AR-8/AR-9 says for the requestor: our
    /// A-RELEASE-RP first, then we wait for the PACS's. Does nothing (true) if already closed.
    /// </summary>
    public async Task<bool> ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (_closed)
        {
            return true;
        }
        using var operation = BeginOperation();
        ReleaseProblem = null;
        var deadline = Deadline.After(Options.AssociationTimeout);
        try
        {
            await WriteAsync(PduCodec.Encode(new ReleaseRequestPdu()), deadline, DicomTimeoutPhase.Release, cancellationToken)
                .ConfigureAwait(false);
            while (true)
            {
                var pdu = await NextPduAsync(deadline, DicomTimeoutPhase.Release, cancellationToken).ConfigureAwait(false);
                switch (pdu)
                {
                    case ReleaseResponsePdu:
                        Close("released");
                        return true;
                    case ReleaseRequestPdu:
                        await WriteAsync(PduCodec.Encode(new ReleaseResponsePdu()), deadline, DicomTimeoutPhase.Release, cancellationToken)
                            .ConfigureAwait(false);
                        continue;
                    case AbortPdu:
                        Close("aborted by the PACS");
                        ReleaseProblem = $"PACS at {Options.Endpoint} answered the release request with A-ABORT.";
                        return false;
                }
                // Anything else (a late response) is of no interest once we asked to release.
            }
        }
        catch (OperationCanceledException)
        {
            Abort();
            throw;
        }
        catch (DicomTimeoutException e)
        {
            ReleaseProblem = e.Message;
            return false;
        }
        catch (DicomException e) when (e is DicomConnectionException or DicomAssociationAbortedException)
        {
            Close("the connection was lost");
            ReleaseProblem = $"PACS at {Options.Endpoint} closed the connection without confirming the release.";
            return false;
        }
    }

    /// <summary>Sends A-ABORT (best effort) and closes the connection. Safe to call at any time, repeatedly.</summary>
    public void Abort() => Abort(AbortReasons.ServiceUser, AbortReasons.NotSpecified);

    /// <summary>
    /// Sends A-ABORT with <paramref name="source"/> and <paramref name="reason"/> and closes the connection only
    /// once the PDU is out: the send side is shut (FIN after the PDU), then what the peer still sends is read and
    /// dropped until it closes or <see cref="AbortLinger"/> passes — closing with unread input would make the
    /// kernel reset the connection and could destroy the A-ABORT in flight.
    /// </summary>
    private void Abort(byte source, byte reason)
    {
        if (_closed)
        {
            return;
        }
        try
        {
            var socket = _tcp.Client;
            socket.SendTimeout = 500;
            socket.Send(PduCodec.Encode(new AbortPdu(source, reason)));
            socket.Shutdown(SocketShutdown.Send);
            socket.ReceiveTimeout = 100;
            var scratch = new byte[4096];
            var linger = Stopwatch.StartNew();
            while (linger.Elapsed < AbortLinger)
            {
                if (!socket.Poll(50_000, SelectMode.SelectRead))
                {
                    continue;
                }
                try
                {
                    if (socket.Receive(scratch) == 0)
                    {
                        break;
                    }
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
                {
                    // A pending read of ours took the bytes first; keep waiting for the close.
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // Aborting a connection that is already broken: nothing more to do.
        }
        Close("aborted");
    }

    /// <summary>A protocol error we detected: A-ABORT as the service provider, with the reason.</summary>
    private DicomProtocolException ProtocolAbort(DicomProtocolException error)
    {
        Abort(AbortReasons.ServiceProvider, error.AbortReason);
        return error;
    }

    public async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }
        if (Volatile.Read(ref _busy) != 0)
        {
            Abort();
            return;
        }
        try
        {
            await ReleaseAsync().ConfigureAwait(false);
        }
        catch (DicomException)
        {
            Abort();
        }
    }

    public void Dispose() => Abort();

    internal async IAsyncEnumerable<DicomDataset> FindCoreAsync(
        string sopClass, DicomDataset identifier, Action<DicomFindOutcome> complete,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var operation = BeginOperation();
        var context = RequireContext(sopClass);
        var messageId = NextMessageId();
        var data = DicomDatasetCodec.Encode(identifier, context.TransferSyntax);
        await SendAsync(context.Id, DimseCommands.Find(sopClass, messageId), data, cancellationToken).ConfigureAwait(false);
        var matches = 0;
        var finished = false;
        try
        {
            while (true)
            {
                DimseMessage response;
                try
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    response = await ReceiveResponseAsync(
                        messageId, DimseCommands.CFindResponse, Deadline.After(Options.ResponseTimeout),
                        DicomTimeoutPhase.Response, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    finished = true;
                    await CancelAndDrainAsync(context.Id, messageId, DimseCommands.CFindResponse).ConfigureAwait(false);
                    throw;
                }
                catch
                {
                    finished = true;
                    throw;
                }
                if (response.Status.IsPending)
                {
                    if (response.Dataset == null)
                    {
                        continue;
                    }
                    var match = DecodeDataset(response.Dataset, context.TransferSyntax);
                    matches++;
                    yield return match;
                    continue;
                }
                finished = true;
                complete(new DicomFindOutcome
                {
                    Status = response.Status,
                    MatchCount = matches,
                    ErrorComment = response.Command.GetString(DicomTags.ErrorComment),
                });
                yield break;
            }
        }
        finally
        {
            // The caller left the loop early: the peer is still sending, so cancel and drain.
            if (!finished && !_closed)
            {
                await CancelAndDrainAsync(context.Id, messageId, DimseCommands.CFindResponse).ConfigureAwait(false);
            }
        }
    }

    private static async Task<TcpClient> ConnectAsync(DicomClientOptions options, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        var connect = tcp.ConnectAsync(options.Host, options.Port);
        var delay = Task.Delay(options.ConnectTimeout, cancellationToken);
        if (await Task.WhenAny(connect, delay).ConfigureAwait(false) != connect)
        {
            tcp.Dispose();
            _ = connect.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            cancellationToken.ThrowIfCancellationRequested();
            throw new DicomTimeoutException(
                $"Could not connect to PACS at {options.Endpoint} within {Seconds(options.ConnectTimeout)} s — " +
                "check -HostName, -Port and any firewall in between.",
                DicomTimeoutPhase.Connect, options.ConnectTimeout);
        }
        try
        {
            await connect.ConfigureAwait(false);
            tcp.NoDelay = true;
            return tcp;
        }
        catch (SocketException e)
        {
            tcp.Dispose();
            throw new DicomConnectionException(DicomMessages.ConnectFailed(options, e), e);
        }
    }

    private async Task NegotiateAsync(DicomServices services, CancellationToken cancellationToken)
    {
        var proposals = new List<PresentationContextProposal>();
        byte id = 1;
        foreach (var sopClass in SopClasses(services))
        {
            proposals.Add(new PresentationContextProposal(id, sopClass, new[]
            {
                DicomTransferSyntax.ExplicitVRLittleEndian.Uid, DicomTransferSyntax.ImplicitVRLittleEndian.Uid,
            }));
            id += 2;
        }
        var request = new AssociateRequestPdu(
            Options.CalledAeTitle, Options.CallingAeTitle, DicomUids.ApplicationContext, proposals,
            new UserInformation((uint)Options.MaxPduLength, Options.ImplementationClassUid, Options.ImplementationVersionName));
        var deadline = Deadline.After(Options.AssociationTimeout);
        await WriteAsync(PduCodec.Encode(request), deadline, DicomTimeoutPhase.Association, cancellationToken).ConfigureAwait(false);
        var answer = await NextPduAsync(deadline, DicomTimeoutPhase.Association, cancellationToken).ConfigureAwait(false);
        switch (answer)
        {
            case AssociateAcceptPdu accept:
                Accept(proposals, accept);
                return;
            case AssociateRejectPdu reject:
                Close("rejected");
                throw new DicomAssociationRejectedException(
                    DicomMessages.Rejected(Options, reject), reject.Result, reject.Source, reject.Reason);
            case AbortPdu:
                Close("aborted by the PACS");
                throw new DicomAssociationAbortedException(
                    $"PACS at {Options.Endpoint} aborted the association request — check -CalledAeTitle " +
                    $"'{Options.CalledAeTitle}' and that the calling AE '{Options.CallingAeTitle}' is registered on the PACS.",
                    onFirstRequest: false);
            default:
                throw ProtocolAbort(new DicomProtocolException(
                    $"PACS at {Options.Endpoint} answered the association request with {answer.Type}.", AbortReasons.UnexpectedPdu));
        }
    }

    private void Accept(List<PresentationContextProposal> proposals, AssociateAcceptPdu accept)
    {
        PeerMaxPduLength = accept.UserInformation.MaxPduLength;
        PeerImplementationClassUid = accept.UserInformation.ImplementationClassUid;
        PeerImplementationVersionName = accept.UserInformation.ImplementationVersionName;
        foreach (var answer in accept.PresentationContexts)
        {
            var proposal = proposals.FirstOrDefault(p => p.Id == answer.Id);
            if (proposal == null)
            {
                continue;
            }
            if (answer.Result != PresentationContextResult.Accepted)
            {
                _refusals[proposal.AbstractSyntax] = answer.Result;
                continue;
            }
            var syntax = DicomTransferSyntax.FromUid(answer.TransferSyntax)
                ?? throw new DicomProtocolException(
                    $"PACS at {Options.Endpoint} chose transfer syntax '{answer.TransferSyntax}', which was not offered.",
                    AbortReasons.InvalidParameterValue);
            _contexts[answer.Id] = new AcceptedContext(answer.Id, proposal.AbstractSyntax, syntax);
        }
        if (_contexts.Count == 0)
        {
            var reasons = proposals.Select(p => $"{DicomMessages.ServiceName(p.AbstractSyntax)}: " +
                (_refusals.TryGetValue(p.AbstractSyntax, out var why) ? DicomMessages.ContextRefusal(why) : "not answered"));
            throw new DicomServiceNotAcceptedException(
                $"PACS at {Options.Endpoint} accepted the association but none of the requested services — " +
                $"{string.Join("; ", reasons)}. Ask the PACS administrator to allow these services for calling AE '{Options.CallingAeTitle}'.");
        }
    }

    private static IEnumerable<string> SopClasses(DicomServices services)
    {
        if (services.HasFlag(DicomServices.Verification))
        {
            yield return DicomUids.Verification;
        }
        if (services.HasFlag(DicomServices.StudyRootFind))
        {
            yield return DicomUids.StudyRootFind;
        }
        if (services.HasFlag(DicomServices.StudyRootMove))
        {
            yield return DicomUids.StudyRootMove;
        }
        if (services.HasFlag(DicomServices.PatientRootFind))
        {
            yield return DicomUids.PatientRootFind;
        }
        if (services.HasFlag(DicomServices.PatientRootMove))
        {
            yield return DicomUids.PatientRootMove;
        }
    }

    private AcceptedContext RequireContext(string sopClass)
    {
        var context = _contexts.Values.FirstOrDefault(c => c.AbstractSyntax == sopClass);
        if (context != null)
        {
            return context;
        }
        var why = _refusals.TryGetValue(sopClass, out var result)
            ? $"it refused the presentation context ({DicomMessages.ContextRefusal(result)})"
            : "it was not requested when the association was opened";
        throw new DicomServiceNotAcceptedException($"PACS at {Options.Endpoint} cannot do {DicomMessages.ServiceName(sopClass)} on this association: {why}.");
    }

    private ushort NextMessageId()
    {
        _lastMessageId = (ushort)(_lastMessageId == ushort.MaxValue ? 1 : _lastMessageId + 1);
        return _lastMessageId;
    }

    private async Task SendAsync(byte contextId, byte[] command, byte[]? dataset, CancellationToken cancellationToken)
    {
        var buffer = new ByteBuffer(command.Length + (dataset?.Length ?? 0) + 64);
        foreach (var pdu in PdvFragmenter.Fragment(contextId, command, dataset, PeerMaxPduLength))
        {
            buffer.WriteBytes(PduCodec.Encode(pdu));
        }
        _requestsSent++;
        await WriteAsync(buffer.ToArray(), Deadline.After(Options.ResponseTimeout), DicomTimeoutPhase.Response, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Receives the next DIMSE message, which must answer <paramref name="messageId"/>.</summary>
    private async Task<DimseMessage> ReceiveResponseAsync(
        ushort messageId, ushort commandField, Deadline deadline, DicomTimeoutPhase phase, CancellationToken cancellationToken)
    {
        while (_ready.Count == 0)
        {
            var pdu = await NextPduAsync(deadline, phase, cancellationToken).ConfigureAwait(false);
            switch (pdu)
            {
                case DataTransferPdu data:
                    try
                    {
                        foreach (var pdv in data.Values)
                        {
                            if (_assembler.Add(pdv) is { } message)
                            {
                                _ready.Enqueue(message);
                            }
                        }
                    }
                    catch (DicomProtocolException e)
                    {
                        throw ProtocolAbort(e);
                    }
                    break;
                case AbortPdu abort:
                    Close("aborted by the PACS");
                    throw PeerEnded($"sent A-ABORT (source {abort.Source}, reason {abort.Reason})", null);
                case ReleaseRequestPdu:
                    Abort();
                    throw PeerEnded("asked to release the association in the middle of an operation", null);
                default:
                    throw ProtocolAbort(new DicomProtocolException(
                        $"PACS at {Options.Endpoint} sent an unexpected {pdu.Type} PDU.", AbortReasons.UnexpectedPdu));
            }
        }
        var response = _ready.Dequeue();
        _responsesReceived++;
        if (response.CommandField != commandField || response.MessageIdBeingRespondedTo != messageId)
        {
            throw ProtocolAbort(new DicomProtocolException(
                $"PACS at {Options.Endpoint} sent command 0x{response.CommandField:X4} answering message " +
                $"{response.MessageIdBeingRespondedTo?.ToString() ?? "(none)"} while we waited for 0x{commandField:X4} answering message {messageId}.",
                AbortReasons.UnexpectedParameter));
        }
        return response;
    }

    private async Task CancelAndDrainAsync(byte contextId, ushort messageId, ushort commandField)
    {
        if (_closed)
        {
            return;
        }
        var deadline = Deadline.After(Options.CancelDrainTimeout);
        try
        {
            var bytes = new ByteBuffer();
            foreach (var pdu in PdvFragmenter.Fragment(contextId, DimseCommands.Cancel(messageId), null, PeerMaxPduLength))
            {
                bytes.WriteBytes(PduCodec.Encode(pdu));
            }
            await WriteAsync(bytes.ToArray(), deadline, DicomTimeoutPhase.Response, CancellationToken.None).ConfigureAwait(false);
            while (true)
            {
                var response = await ReceiveResponseAsync(messageId, commandField, deadline, DicomTimeoutPhase.Response, CancellationToken.None)
                    .ConfigureAwait(false);
                if (!response.Status.IsPending)
                {
                    return;
                }
            }
        }
        catch (DicomException)
        {
            // The drain failed (timeout, abort, garbage); the association is no longer trustworthy.
            Abort();
        }
    }

    private DicomDataset DecodeDataset(byte[] data, DicomTransferSyntax syntax)
    {
        try
        {
            return DicomDatasetCodec.Decode(data, syntax, new DicomCodecLimits { MaxElementLength = Options.MaxDatasetLength });
        }
        catch (DicomProtocolException e)
        {
            throw ProtocolAbort(e);
        }
    }

    /// <summary>
    /// Waits for the next PDU until the deadline. A caller's cancellation leaves the read pending (the stream
    /// stays in step, so a drain can continue); a deadline aborts the association.
    /// </summary>
    private async Task<DicomPdu> NextPduAsync(Deadline deadline, DicomTimeoutPhase phase, CancellationToken cancellationToken)
    {
        if (_closed)
        {
            throw new InvalidOperationException($"The association with {Options.Endpoint} is closed ({_closeReason}).");
        }
        if (_pendingRead == null)
        {
            _pendingRead = PduReader.ReadAsync(_stream, Options.MaxPduLength, CancellationToken.None);
            _ = _pendingRead.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        }
        if (!_pendingRead.IsCompleted)
        {
            using var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(deadline.Remaining, delayCancel.Token);
            var winner = await Task.WhenAny(_pendingRead, delay).ConfigureAwait(false);
            delayCancel.Cancel();
            if (winner != _pendingRead)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Abort();
                throw Timeout(phase);
            }
        }
        var read = _pendingRead;
        _pendingRead = null;
        try
        {
            return await read.ConfigureAwait(false);
        }
        catch (DicomProtocolException e)
        {
            throw ProtocolAbort(e);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            var wasClosedByUs = _closed;
            Close("the connection was lost");
            if (wasClosedByUs)
            {
                throw new InvalidOperationException($"The association with {Options.Endpoint} was closed.", e);
            }
            if (phase == DicomTimeoutPhase.Association)
            {
                throw new DicomConnectionException(
                    $"PACS at {Options.Endpoint} closed the connection during association negotiation — check that this " +
                    $"is a DICOM port and that the calling AE '{Options.CallingAeTitle}' is allowed to connect.", e);
            }
            throw PeerEnded("closed the connection", e);
        }
    }

    private async Task WriteAsync(byte[] bytes, Deadline deadline, DicomTimeoutPhase phase, CancellationToken cancellationToken)
    {
        if (_closed)
        {
            throw new InvalidOperationException($"The association with {Options.Endpoint} is closed ({_closeReason}).");
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline.Remaining);
        try
        {
            await _stream.WriteAsync(bytes, 0, bytes.Length, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A half-written PDU leaves the stream unusable.
            Abort();
            cancellationToken.ThrowIfCancellationRequested();
            throw Timeout(phase);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Close("the connection was lost");
            throw PeerEnded("closed the connection", e);
        }
    }

    private DicomTimeoutException Timeout(DicomTimeoutPhase phase)
    {
        var (what, span) = phase switch
        {
            DicomTimeoutPhase.Association => ("answer the association request", Options.AssociationTimeout),
            DicomTimeoutPhase.Release => ("answer the release request", Options.AssociationTimeout),
            DicomTimeoutPhase.Move => ("finish the C-MOVE", Options.MoveTimeout),
            _ => ("answer", Options.ResponseTimeout),
        };
        return new DicomTimeoutException(
            $"PACS at {Options.Endpoint} did not {what} within {Seconds(span)} s; the association was aborted.", phase, span);
    }

    private DicomException PeerEnded(string what, Exception? inner)
    {
        if (_requestsSent == 1 && _responsesReceived == 0)
        {
            return new DicomAssociationAbortedException(
                $"PACS at {Options.Endpoint} accepted the association and then {what} on our first request — the calling " +
                $"AE title '{Options.CallingAeTitle}' is probably not registered on the PACS (or not allowed this service); " +
                "ask the PACS administrator to register it with this machine's address, or check -CallingAeTitle.",
                onFirstRequest: true, inner);
        }
        return new DicomAssociationAbortedException($"PACS at {Options.Endpoint} {what} during an operation.", onFirstRequest: false, inner);
    }

    private OperationScope BeginOperation()
    {
        if (_closed)
        {
            throw new InvalidOperationException($"The association with {Options.Endpoint} is closed ({_closeReason}).");
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            throw new InvalidOperationException("An association runs one operation at a time; open another association for parallel work.");
        }
        return new OperationScope(this);
    }

    private void Close(string reason)
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        _closeReason = reason;
        _tcp.Dispose();
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    private sealed record AcceptedContext(byte Id, string AbstractSyntax, DicomTransferSyntax TransferSyntax);

    private readonly struct OperationScope : IDisposable
    {
        private readonly DicomAssociation _owner;

        public OperationScope(DicomAssociation owner)
        {
            _owner = owner;
        }

        public void Dispose() => Volatile.Write(ref _owner._busy, 0);
    }
}
