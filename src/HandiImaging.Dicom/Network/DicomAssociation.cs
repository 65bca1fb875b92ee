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
    private static readonly byte[] AbortBytes = PduCodec.Encode(new AbortPdu(0, 0));

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
        DicomMoveProgress last = new(null, null, null, null);
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
            last = new DicomMoveProgress(
                command.GetInt32(DicomTags.NumberOfRemainingSuboperations) ?? last.Remaining,
                command.GetInt32(DicomTags.NumberOfCompletedSuboperations) ?? last.Completed,
                command.GetInt32(DicomTags.NumberOfFailedSuboperations) ?? last.Failed,
                command.GetInt32(DicomTags.NumberOfWarningSuboperations) ?? last.Warning);
            if (response.Status.IsPending)
            {
                progress?.Report(last);
                continue;
            }
            var errorComment = command.GetString(DicomTags.ErrorComment);
            return new DicomMoveResult
            {
                Status = response.Status,
                Destination = destinationAeTitle,
                Remaining = last.Remaining,
                Completed = last.Completed ?? 0,
                Failed = last.Failed ?? 0,
                Warning = last.Warning ?? 0,
                ErrorComment = errorComment,
                Message = DicomMessages.ExplainMove(Options, response.Status, destinationAeTitle, last, errorComment),
            };
        }
    }

    /// <summary>A-RELEASE; closes the connection. Does nothing if already closed.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (_closed)
        {
            return;
        }
        using var operation = BeginOperation();
        var deadline = Deadline.After(Options.AssociationTimeout);
        try
        {
            await WriteAsync(PduCodec.Encode(new ReleaseRequestPdu()), deadline, DicomTimeoutPhase.Release, cancellationToken)
                .ConfigureAwait(false);
            while (true)
            {
                var pdu = await NextPduAsync(deadline, DicomTimeoutPhase.Release, cancellationToken).ConfigureAwait(false);
                // A release collision (peer also sent RQ) ends the association just as well.
                if (pdu is ReleaseResponsePdu or ReleaseRequestPdu or AbortPdu)
                {
                    break;
                }
            }
            Close("released");
        }
        catch (OperationCanceledException)
        {
            Abort();
            throw;
        }
        catch (DicomException e) when (e is DicomConnectionException or DicomAssociationAbortedException)
        {
            // The peer dropped the connection instead of answering: the association is over either way.
            Close("released");
        }
    }

    /// <summary>Sends A-ABORT (best effort) and closes the connection. Safe to call at any time, repeatedly.</summary>
    public void Abort()
    {
        if (_closed)
        {
            return;
        }
        try
        {
            _tcp.Client.SendTimeout = 500;
            _tcp.Client.Send(AbortBytes);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // Aborting a connection that is already broken: nothing more to do.
        }
        Close("aborted");
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
                Abort();
                throw new DicomProtocolException($"PACS at {Options.Endpoint} answered the association request with {answer.Type}.");
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
                    $"PACS at {Options.Endpoint} chose transfer syntax '{answer.TransferSyntax}', which was not offered.");
            _contexts[answer.Id] = new AcceptedContext(answer.Id, proposal.AbstractSyntax, syntax);
        }
        if (_contexts.Count == 0)
        {
            throw new DicomServiceNotAcceptedException(
                $"PACS at {Options.Endpoint} accepted the association but none of the requested services " +
                $"({string.Join(", ", proposals.Select(p => DicomMessages.ServiceName(p.AbstractSyntax)))}).");
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
            ? $"it refused the presentation context ({result})"
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
                    catch (DicomProtocolException)
                    {
                        Abort();
                        throw;
                    }
                    break;
                case AbortPdu abort:
                    Close("aborted by the PACS");
                    throw PeerEnded($"sent A-ABORT (source {abort.Source}, reason {abort.Reason})", null);
                case ReleaseRequestPdu:
                    Abort();
                    throw PeerEnded("asked to release the association in the middle of an operation", null);
                default:
                    Abort();
                    throw new DicomProtocolException($"PACS at {Options.Endpoint} sent an unexpected {pdu.Type} PDU.");
            }
        }
        var response = _ready.Dequeue();
        _responsesReceived++;
        if (response.CommandField != commandField || response.MessageIdBeingRespondedTo != messageId)
        {
            Abort();
            throw new DicomProtocolException(
                $"PACS at {Options.Endpoint} sent command 0x{response.CommandField:X4} answering message " +
                $"{response.MessageIdBeingRespondedTo?.ToString() ?? "(none)"} while we waited for 0x{commandField:X4} answering message {messageId}.");
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
        catch (DicomProtocolException)
        {
            Abort();
            throw;
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
        catch (DicomProtocolException)
        {
            Abort();
            throw;
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
