using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using HandiImaging.Dicom.Pdu;

namespace HandiImaging.Dicom.Tests.Fakes;

/// <summary>
/// A scripted SCP on a loopback socket, built on the library's own PDU layer, for association and DIMSE behaviour
/// that real peers cannot be made to show on demand: stalls, wrong message IDs, ignored cancels, transient
/// rejections, aborts on the first association, missing or colliding releases, A700 refusals, C-MOVE finals with
/// or without counts, responses in any character set or for another patient, unknown VRs.
/// </summary>
public sealed class FakeScp : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _acceptLoop;
    private readonly ConcurrentQueue<Task> _sessions = new();
    private readonly List<DicomPdu> _received = new();
    private int _connections;

    /// <param name="script">Runs once against the first connection; exceptions surface in <see cref="DisposeAsync"/>.</param>
    public FakeScp(Func<Connection, Task> script)
        : this((c, _) => script(c), maxConnections: 1)
    {
    }

    /// <param name="script">Runs against every connection (concurrently), with the connection's 0-based index.</param>
    /// <param name="maxConnections">Connections beyond this are accepted and closed at once.</param>
    public FakeScp(Func<Connection, int, Task> script, int maxConnections = int.MaxValue)
    {
        _listener.Start();
        _acceptLoop = AcceptAsync(script, maxConnections);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections have been accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    internal IReadOnlyList<DicomPdu> Received
    {
        get
        {
            lock (_received)
            {
                return _received.ToList();
            }
        }
    }

    public DicomClientOptions Options(TimeSpan? responseTimeout = null) => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        CalledAeTitle = "FAKE",
        CallingAeTitle = "HANDI",
        AssociationTimeout = TimeSpan.FromSeconds(2),
        ResponseTimeout = responseTimeout ?? TimeSpan.FromSeconds(5),
        CancelDrainTimeout = TimeSpan.FromMilliseconds(500),
    };

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.WhenAll(_sessions).WaitAsync(TimeSpan.FromSeconds(10));
    }

    private async Task AcceptAsync(Func<Connection, int, Task> script, int maxConnections)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            var index = Interlocked.Increment(ref _connections) - 1;
            if (index >= maxConnections)
            {
                socket.Dispose();
                continue;
            }
            _sessions.Enqueue(Task.Run(() => ServeAsync(socket, script, index)));
        }
    }

    private async Task ServeAsync(Socket socket, Func<Connection, int, Task> script, int index)
    {
        using (socket)
        {
            socket.NoDelay = true;
            await using var stream = new NetworkStream(socket);
            await script(new Connection(stream, this), index);
        }
    }

    public sealed class Connection
    {
        private readonly NetworkStream _stream;
        private readonly FakeScp _owner;
        private readonly DimseMessageAssembler _assembler = new(1 << 20);
        private readonly Queue<DimseMessage> _messages = new();

        internal Connection(NetworkStream stream, FakeScp owner)
        {
            _stream = stream;
            _owner = owner;
        }

        /// <summary>Presentation context the client proposed for Study Root FIND.</summary>
        public byte FindContextId { get; private set; }

        /// <summary>Presentation context the client proposed for Study Root MOVE.</summary>
        public byte MoveContextId { get; private set; }

        internal async Task<DicomPdu> ReadPduAsync()
        {
            var pdu = await PduReader.ReadAsync(_stream, 1 << 20, CancellationToken.None);
            lock (_owner._received)
            {
                _owner._received.Add(pdu);
            }
            return pdu;
        }

        internal Task SendAsync(DicomPdu pdu) => SendRawAsync(PduCodec.Encode(pdu));

        public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes, 0, bytes.Length);

        /// <summary>Accepts every proposed context with <paramref name="transferSyntax"/>.</summary>
        public async Task AcceptAsync(uint maxPduLength = 16384, string transferSyntax = "1.2.840.10008.1.2")
        {
            var request = (AssociateRequestPdu)await ReadPduAsync();
            FindContextId = request.PresentationContexts.FirstOrDefault(c => c.AbstractSyntax == DicomUids.StudyRootFind)?.Id ?? 0;
            MoveContextId = request.PresentationContexts.FirstOrDefault(c => c.AbstractSyntax == DicomUids.StudyRootMove)?.Id ?? 0;
            await SendAsync(new AssociateAcceptPdu(
                request.CalledAeTitle, request.CallingAeTitle, DicomUids.ApplicationContext,
                request.PresentationContexts.Select(c => new PresentationContextAnswer(c.Id, PresentationContextResult.Accepted, transferSyntax)).ToList(),
                new UserInformation(maxPduLength, "1.2.3.4", "FAKE")));
        }

        /// <summary>Reads the association request and answers A-ASSOCIATE-RJ (result 1 permanent, 2 transient).</summary>
        public async Task RejectAsync(byte result, byte source, byte reason)
        {
            await ReadPduAsync();
            await SendAsync(new AssociateRejectPdu(result, source, reason));
        }

        /// <summary>Reads the next complete DIMSE message the client sent.</summary>
        internal async Task<DimseMessage> ReadMessageAsync()
        {
            while (_messages.Count == 0)
            {
                var pdu = await ReadPduAsync();
                if (pdu is not DataTransferPdu data)
                {
                    throw new InvalidOperationException($"Fake SCP expected P-DATA, got {pdu.Type}.");
                }
                Assemble(data);
            }
            return _messages.Dequeue();
        }

        /// <summary>Reads the next request: a DIMSE message, or null when the client asked to release (answered unless told not to).</summary>
        internal async Task<DimseMessage?> ReadRequestOrReleaseAsync(bool answerRelease = true)
        {
            while (_messages.Count == 0)
            {
                var pdu = await ReadPduAsync();
                switch (pdu)
                {
                    case DataTransferPdu data:
                        Assemble(data);
                        break;
                    case ReleaseRequestPdu:
                        if (answerRelease)
                        {
                            await SendAsync(new ReleaseResponsePdu());
                        }
                        return null;
                    default:
                        throw new InvalidOperationException($"Fake SCP expected P-DATA or A-RELEASE-RQ, got {pdu.Type}.");
                }
            }
            return _messages.Dequeue();
        }

        /// <summary>
        /// Serves C-ECHO and C-FIND requests until the client releases (answered) or goes away. Each C-FIND's
        /// identifier goes to <paramref name="answer"/>, which says what to send back.
        /// </summary>
        public async Task ServeFindsAsync(Func<DicomDataset, FindAnswer> answer)
        {
            while (true)
            {
                DimseMessage? request;
                try
                {
                    request = await ReadRequestOrReleaseAsync();
                }
                catch (Exception e) when (e is EndOfStreamException or IOException)
                {
                    return;
                }
                if (request == null)
                {
                    return;
                }
                var id = (ushort)request.Command.GetInt32(DicomTags.MessageId)!;
                if (request.CommandField == DimseCommands.CEchoRequest)
                {
                    await SendEchoResponseAsync(request.PresentationContextId, id);
                    continue;
                }
                var identifier = DicomDatasetCodec.Decode(request.Dataset!, DicomTransferSyntax.ImplicitVRLittleEndian);
                var reply = answer(identifier);
                if (reply.AbortAfterMatches)
                {
                    foreach (var match in reply.Matches)
                    {
                        await SendFindResponseAsync(id, 0xFF00, match);
                    }
                    await SendAsync(new AbortPdu(2, 0));
                    return;
                }
                foreach (var match in reply.Matches)
                {
                    await SendFindResponseAsync(id, 0xFF00, match);
                }
                await SendFindResponseAsync(id, reply.FinalStatus, (byte[]?)null, errorComment: reply.ErrorComment);
            }
        }

        public Task SendEchoResponseAsync(byte contextId, ushort respondingTo)
        {
            var rsp = new DicomDataset()
                .Set(DicomTags.AffectedSopClassUid, DicomUids.Verification)
                .Set(DicomTags.CommandField, DimseCommands.CEchoResponse)
                .Set(DicomTags.MessageIdBeingRespondedTo, respondingTo)
                .Set(DicomTags.CommandDataSetType, (ushort)0x0101)
                .Set(DicomTags.Status, (ushort)0);
            return SendRawAsync(PdvFragmenter.Fragment(contextId, DimseCommands.Encode(rsp), null, 16384).SelectMany(PduCodec.Encode).ToArray());
        }

        /// <summary>Sends a C-FIND-RSP (Implicit VR LE dataset if given).</summary>
        public Task SendFindResponseAsync(ushort respondingTo, ushort status, DicomDataset? match = null, ushort dataSetType = 0x0000) =>
            SendFindResponseAsync(respondingTo, status,
                match == null ? null : DicomDatasetCodec.Encode(match, DicomTransferSyntax.ImplicitVRLittleEndian), dataSetType);

        /// <summary>Sends a C-FIND-RSP whose dataset is given as raw Implicit VR LE bytes (any character set).</summary>
        public Task SendFindResponseAsync(ushort respondingTo, ushort status, byte[]? dataset, ushort dataSetType = 0x0000, string? errorComment = null)
        {
            var command = new DicomDataset()
                .Set(DicomTags.AffectedSopClassUid, DicomUids.StudyRootFind)
                .Set(DicomTags.CommandField, (ushort)0x8020)
                .Set(DicomTags.MessageIdBeingRespondedTo, respondingTo)
                .Set(DicomTags.CommandDataSetType, dataset == null ? (ushort)0x0101 : dataSetType)
                .Set(DicomTags.Status, status);
            if (errorComment != null)
            {
                command.Set(DicomTags.ErrorComment, errorComment);
            }
            var bytes = PdvFragmenter.Fragment(FindContextId, DimseCommands.Encode(command), dataset, 16384)
                .SelectMany(PduCodec.Encode).ToArray();
            return SendRawAsync(bytes);
        }

        /// <summary>Sends a C-MOVE-RSP; counts left null are left out; failed UIDs go into a dataset (0008,0058).</summary>
        public Task SendMoveResponseAsync(ushort respondingTo, ushort status, int? remaining = null, int? completed = null, int? failed = null,
            int? warning = null, IReadOnlyList<string>? failedUids = null, string? errorComment = null)
        {
            var command = new DicomDataset()
                .Set(DicomTags.AffectedSopClassUid, DicomUids.StudyRootMove)
                .Set(DicomTags.CommandField, DimseCommands.CMoveResponse)
                .Set(DicomTags.MessageIdBeingRespondedTo, respondingTo)
                .Set(DicomTags.CommandDataSetType, failedUids == null ? (ushort)0x0101 : (ushort)0x0000)
                .Set(DicomTags.Status, status);
            if (remaining is { } r) command.Set(DicomTags.NumberOfRemainingSuboperations, (ushort)r);
            if (completed is { } c) command.Set(DicomTags.NumberOfCompletedSuboperations, (ushort)c);
            if (failed is { } f) command.Set(DicomTags.NumberOfFailedSuboperations, (ushort)f);
            if (warning is { } w) command.Set(DicomTags.NumberOfWarningSuboperations, (ushort)w);
            if (errorComment != null) command.Set(DicomTags.ErrorComment, errorComment);
            var dataset = failedUids == null
                ? null
                : DicomDatasetCodec.Encode(new DicomDataset().Set(DicomTags.FailedSopInstanceUidList, failedUids), DicomTransferSyntax.ImplicitVRLittleEndian);
            return SendRawAsync(PdvFragmenter.Fragment(MoveContextId, DimseCommands.Encode(command), dataset, 16384).SelectMany(PduCodec.Encode).ToArray());
        }

        private void Assemble(DataTransferPdu data)
        {
            foreach (var pdv in data.Values)
            {
                if (_assembler.Add(pdv) is { } message)
                {
                    _messages.Enqueue(message);
                }
            }
        }
    }
}

/// <summary>What the scripted SCP sends back for one C-FIND: raw matches (Implicit VR LE), then a final status.</summary>
public sealed record FindAnswer(IReadOnlyList<byte[]> Matches, ushort FinalStatus = 0x0000, string? ErrorComment = null)
{
    /// <summary>Send the matches, then A-ABORT instead of a final response.</summary>
    public bool AbortAfterMatches { get; init; }

    public static FindAnswer None(ushort status = 0x0000, string? errorComment = null) => new(Array.Empty<byte[]>(), status, errorComment);

    public static FindAnswer Of(params DicomDataset[] matches) =>
        new(matches.Select(m => DicomDatasetCodec.Encode(m, DicomTransferSyntax.ImplicitVRLittleEndian)).ToArray());
}
