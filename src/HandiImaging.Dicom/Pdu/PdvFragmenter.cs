using System;
using System.Collections.Generic;

namespace HandiImaging.Dicom.Pdu;

/// <summary>Splits a DIMSE message (command, optional dataset) into P-DATA-TF PDUs that respect the peer's maximum.</summary>
internal static class PdvFragmenter
{
    /// <summary>PDV item overhead: 4-byte length, context id, control header.</summary>
    private const int PdvOverhead = 6;

    /// <summary>Used when the peer declares no limit (0).</summary>
    private const int UnlimitedPduLength = 1024 * 1024;

    /// <summary>
    /// Packs command then dataset fragments greedily; <paramref name="peerMaxPduLength"/> bounds the P-DATA-TF
    /// variable field (0 = unlimited).
    /// </summary>
    public static List<DataTransferPdu> Fragment(byte contextId, byte[] command, byte[]? dataset, uint peerMaxPduLength)
    {
        var max = peerMaxPduLength == 0 || peerMaxPduLength > UnlimitedPduLength ? UnlimitedPduLength : (int)peerMaxPduLength;
        if (max <= PdvOverhead)
        {
            throw new DicomProtocolException($"Peer maximum PDU length {peerMaxPduLength} cannot carry any data.");
        }
        var pdus = new List<DataTransferPdu>();
        var current = new List<PresentationDataValue>();
        var room = max;
        void Emit(byte[] message, bool isCommand)
        {
            var offset = 0;
            do
            {
                if (room <= PdvOverhead)
                {
                    pdus.Add(new DataTransferPdu(current));
                    current = new List<PresentationDataValue>();
                    room = max;
                }
                var size = Math.Min(message.Length - offset, room - PdvOverhead);
                var fragment = new byte[size];
                Buffer.BlockCopy(message, offset, fragment, 0, size);
                offset += size;
                current.Add(new PresentationDataValue(contextId, isCommand, offset == message.Length, fragment));
                room -= size + PdvOverhead;
            }
            while (offset < message.Length);
        }
        Emit(command, isCommand: true);
        if (dataset != null)
        {
            Emit(dataset, isCommand: false);
        }
        pdus.Add(new DataTransferPdu(current));
        return pdus;
    }
}
