using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace HandiImaging.Dicom.Pdu;

/// <summary>Reads whole PDUs from a stream, refusing oversized ones before allocating them.</summary>
internal static class PduReader
{
    /// <summary>Association PDUs carry a few dozen items; anything larger is not a real peer.</summary>
    public const int MaxAssociationPduLength = 64 * 1024;

    /// <exception cref="DicomProtocolException">Bad type or a length over the limit.</exception>
    /// <exception cref="EndOfStreamException">The stream ended (cleanly or mid-PDU).</exception>
    public static async Task<DicomPdu> ReadAsync(Stream stream, int maxDataPduLength, CancellationToken cancellationToken)
    {
        var header = new byte[PduCodec.HeaderLength];
        await ReadExactlyAsync(stream, header, cancellationToken).ConfigureAwait(false);
        var type = header[0];
        if (type < (byte)PduType.AssociateRequest || type > (byte)PduType.Abort)
        {
            throw new DicomProtocolException($"Unknown PDU type 0x{type:X2}.", AbortReasons.UnrecognizedPdu);
        }
        var length = PduCodec.ReadUInt32BE(header, 2);
        var limit = type == (byte)PduType.DataTransfer ? maxDataPduLength : MaxAssociationPduLength;
        if (length > (uint)limit)
        {
            throw new DicomProtocolException(
                $"Peer sent a PDU (type {type}) of {length} bytes; the limit is {limit} bytes.");
        }
        var body = new byte[length];
        await ReadExactlyAsync(stream, body, cancellationToken).ConfigureAwait(false);
        return PduCodec.DecodeBody(type, body, 0, body.Length);
    }

    private static async Task ReadExactlyAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer, read, buffer.Length - read, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }
            read += n;
        }
    }
}
