using System.IO;

namespace HandiImaging.Dicom.Pdu;

/// <summary>A complete DIMSE message: command set and, when announced, the raw dataset bytes.</summary>
internal sealed record DimseMessage(byte PresentationContextId, DicomDataset Command, byte[]? Dataset)
{
    public ushort CommandField => (ushort)(Command.GetInt32(DicomTags.CommandField) ?? 0);
    public ushort? MessageIdBeingRespondedTo => (ushort?)Command.GetInt32(DicomTags.MessageIdBeingRespondedTo);
    public DicomStatus Status => new((ushort)(Command.GetInt32(DicomTags.Status) ?? 0));
}

/// <summary>
/// Reassembles DIMSE messages from PDV fragments: command fragments first, then dataset fragments when
/// CommandDataSetType is anything other than 0x0101. Enforces size limits as fragments arrive.
/// </summary>
internal sealed class DimseMessageAssembler
{
    public const ushort NoDataSet = 0x0101;
    private const int MaxCommandLength = 64 * 1024;

    private readonly int _maxDatasetLength;
    private MemoryStream? _command;
    private MemoryStream? _dataset;
    private DicomDataset? _completedCommand;
    private byte _contextId;

    public DimseMessageAssembler(int maxDatasetLength)
    {
        _maxDatasetLength = maxDatasetLength;
    }

    /// <summary>Adds a fragment; returns the message it completes, or null.</summary>
    public DimseMessage? Add(PresentationDataValue pdv)
    {
        if (_command == null && _completedCommand == null)
        {
            if (!pdv.IsCommand)
            {
                throw new DicomProtocolException("Dataset fragment received before any command.");
            }
            _command = new MemoryStream();
            _contextId = pdv.PresentationContextId;
        }
        if (pdv.PresentationContextId != _contextId)
        {
            throw new DicomProtocolException(
                $"Fragment on presentation context {pdv.PresentationContextId} interleaved with a message on context {_contextId}.");
        }
        if (_completedCommand == null)
        {
            if (!pdv.IsCommand)
            {
                throw new DicomProtocolException("Dataset fragment received before the command was complete.");
            }
            Append(_command!, pdv.Data, MaxCommandLength, "command");
            if (!pdv.IsLastFragment)
            {
                return null;
            }
            var command = DicomDatasetCodec.Decode(_command!.ToArray(), DicomTransferSyntax.ImplicitVRLittleEndian);
            _command = null;
            if (command.GetInt32(DicomTags.CommandDataSetType) is null or NoDataSet)
            {
                return new DimseMessage(_contextId, command, null);
            }
            _completedCommand = command;
            _dataset = new MemoryStream();
            return null;
        }
        if (pdv.IsCommand)
        {
            throw new DicomProtocolException("Command fragment received while a dataset was expected.");
        }
        Append(_dataset!, pdv.Data, _maxDatasetLength, "dataset");
        if (!pdv.IsLastFragment)
        {
            return null;
        }
        var message = new DimseMessage(_contextId, _completedCommand, _dataset!.ToArray());
        _completedCommand = null;
        _dataset = null;
        return message;
    }

    private static void Append(MemoryStream target, byte[] data, int limit, string what)
    {
        if (target.Length + data.Length > limit)
        {
            throw new DicomProtocolException($"Incoming {what} exceeds the limit of {limit} bytes.");
        }
        target.Write(data, 0, data.Length);
    }
}
