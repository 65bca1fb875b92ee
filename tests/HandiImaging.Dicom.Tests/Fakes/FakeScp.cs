using System.Net;
using System.Net.Sockets;
using HandiImaging.Dicom.Pdu;

namespace HandiImaging.Dicom.Tests.Fakes;

/// <summary>
/// A scripted SCP on a loopback socket, built on the library's own PDU layer, for association and DIMSE state
/// logic that real peers cannot be made to show on demand (stalls, wrong message IDs, ignored cancels).
/// </summary>
public sealed class FakeScp : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _session;
    private readonly List<DicomPdu> _received = new();

    /// <param name="script">Runs once against the first connection; exceptions surface in <see cref="DisposeAsync"/>.</param>
    public FakeScp(Func<Connection, Task> script)
    {
        _listener.Start();
        _session = RunAsync(script);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

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
        await _session.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private async Task RunAsync(Func<Connection, Task> script)
    {
        using var socket = await _listener.AcceptSocketAsync();
        socket.NoDelay = true;
        await using var stream = new NetworkStream(socket);
        await script(new Connection(stream, this));
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
            await SendAsync(new AssociateAcceptPdu(
                request.CalledAeTitle, request.CallingAeTitle, DicomUids.ApplicationContext,
                request.PresentationContexts.Select(c => new PresentationContextAnswer(c.Id, PresentationContextResult.Accepted, transferSyntax)).ToList(),
                new UserInformation(maxPduLength, "1.2.3.4", "FAKE")));
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
                foreach (var pdv in data.Values)
                {
                    if (_assembler.Add(pdv) is { } message)
                    {
                        _messages.Enqueue(message);
                    }
                }
            }
            return _messages.Dequeue();
        }

        /// <summary>Sends a C-FIND-RSP (Implicit VR LE dataset if given).</summary>
        public Task SendFindResponseAsync(ushort respondingTo, ushort status, DicomDataset? match = null, ushort dataSetType = 0x0000)
        {
            var command = new DicomDataset()
                .Set(DicomTags.AffectedSopClassUid, DicomUids.StudyRootFind)
                .Set(DicomTags.CommandField, (ushort)0x8020)
                .Set(DicomTags.MessageIdBeingRespondedTo, respondingTo)
                .Set(DicomTags.CommandDataSetType, match == null ? (ushort)0x0101 : dataSetType)
                .Set(DicomTags.Status, status);
            var dataset = match == null ? null : DicomDatasetCodec.Encode(match, DicomTransferSyntax.ImplicitVRLittleEndian);
            var bytes = PdvFragmenter.Fragment(FindContextId, DimseCommands.Encode(command), dataset, 16384)
                .SelectMany(PduCodec.Encode).ToArray();
            return SendRawAsync(bytes);
        }
    }
}
