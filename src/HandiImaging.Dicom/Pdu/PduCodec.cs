using System;
using System.Collections.Generic;
using System.Text;

namespace HandiImaging.Dicom.Pdu;

/// <summary>Encodes and decodes whole PDUs (6-byte header included). Reserved bytes are written as zero and never checked.</summary>
internal static class PduCodec
{
    public const int HeaderLength = 6;
    private const byte ApplicationContextItem = 0x10;
    private const byte PresentationContextRequestItem = 0x20;
    private const byte PresentationContextAcceptItem = 0x21;
    private const byte AbstractSyntaxItem = 0x30;
    private const byte TransferSyntaxItem = 0x40;
    private const byte UserInformationItem = 0x50;
    private const byte MaxLengthSubItem = 0x51;
    private const byte ImplementationClassUidSubItem = 0x52;
    private const byte ImplementationVersionNameSubItem = 0x55;

    public static byte[] Encode(DicomPdu pdu)
    {
        var buffer = new ByteBuffer();
        buffer.WriteByte((byte)pdu.Type);
        buffer.WriteByte(0);
        buffer.WriteUInt32BE(0);
        switch (pdu)
        {
            case AssociateRequestPdu rq:
                WriteAssociateFixedPart(buffer, rq.CalledAeTitle, rq.CallingAeTitle);
                WriteItem(buffer, ApplicationContextItem, Ascii(rq.ApplicationContext));
                foreach (var pc in rq.PresentationContexts)
                {
                    var start = BeginItem(buffer, PresentationContextRequestItem);
                    buffer.WriteByte(pc.Id);
                    buffer.WriteZeros(3);
                    WriteItem(buffer, AbstractSyntaxItem, Ascii(pc.AbstractSyntax));
                    foreach (var ts in pc.TransferSyntaxes)
                    {
                        WriteItem(buffer, TransferSyntaxItem, Ascii(ts));
                    }
                    EndItem(buffer, start);
                }
                WriteUserInformation(buffer, rq.UserInformation);
                break;
            case AssociateAcceptPdu ac:
                WriteAssociateFixedPart(buffer, ac.CalledAeTitle, ac.CallingAeTitle);
                WriteItem(buffer, ApplicationContextItem, Ascii(ac.ApplicationContext));
                foreach (var pc in ac.PresentationContexts)
                {
                    var start = BeginItem(buffer, PresentationContextAcceptItem);
                    buffer.WriteByte(pc.Id);
                    buffer.WriteByte(0);
                    buffer.WriteByte((byte)pc.Result);
                    buffer.WriteByte(0);
                    WriteItem(buffer, TransferSyntaxItem, Ascii(pc.TransferSyntax));
                    EndItem(buffer, start);
                }
                WriteUserInformation(buffer, ac.UserInformation);
                break;
            case AssociateRejectPdu rj:
                buffer.WriteByte(0);
                buffer.WriteByte(rj.Result);
                buffer.WriteByte(rj.Source);
                buffer.WriteByte(rj.Reason);
                break;
            case DataTransferPdu data:
                foreach (var pdv in data.Values)
                {
                    buffer.WriteUInt32BE((uint)(pdv.Data.Length + 2));
                    buffer.WriteByte(pdv.PresentationContextId);
                    buffer.WriteByte((byte)((pdv.IsCommand ? 1 : 0) | (pdv.IsLastFragment ? 2 : 0)));
                    buffer.WriteBytes(pdv.Data);
                }
                break;
            case ReleaseRequestPdu or ReleaseResponsePdu:
                buffer.WriteZeros(4);
                break;
            case AbortPdu abort:
                buffer.WriteZeros(2);
                buffer.WriteByte(abort.Source);
                buffer.WriteByte(abort.Reason);
                break;
            default:
                throw new ArgumentException($"Cannot encode {pdu.GetType().Name}.");
        }
        buffer.PatchUInt32BE(2, (uint)(buffer.Length - HeaderLength));
        return buffer.ToArray();
    }

    /// <summary>Decodes one complete PDU held in <paramref name="pdu"/> (header included).</summary>
    public static DicomPdu Decode(byte[] pdu)
    {
        if (pdu.Length < HeaderLength)
        {
            throw new DicomProtocolException($"A PDU needs at least {HeaderLength} bytes; got {pdu.Length}.");
        }
        var length = ReadUInt32BE(pdu, 2);
        if (length != (uint)(pdu.Length - HeaderLength))
        {
            throw new DicomProtocolException($"PDU header says {length} bytes but {pdu.Length - HeaderLength} follow.");
        }
        return DecodeBody(pdu[0], pdu, HeaderLength, (int)length);
    }

    /// <summary>Decodes a PDU body of the given type from <paramref name="data"/>[offset..offset+length].</summary>
    public static DicomPdu DecodeBody(byte type, byte[] data, int offset, int length)
    {
        var r = new Cursor(data, offset, offset + length);
        switch ((PduType)type)
        {
            case PduType.AssociateRequest:
            {
                var (called, calling) = ReadAssociateFixedPart(ref r);
                string appContext = "";
                var contexts = new List<PresentationContextProposal>();
                UserInformation? user = null;
                while (r.Remaining > 0)
                {
                    var (itemType, item) = r.ReadItem();
                    switch (itemType)
                    {
                        case ApplicationContextItem:
                            appContext = item.ReadRemainingUid();
                            break;
                        case PresentationContextRequestItem:
                            contexts.Add(ReadProposal(ref item));
                            break;
                        case UserInformationItem:
                            user = ReadUserInformation(ref item);
                            break;
                    }
                }
                return new AssociateRequestPdu(called, calling, appContext, contexts, user ?? new UserInformation(0, "", null));
            }
            case PduType.AssociateAccept:
            {
                var (called, calling) = ReadAssociateFixedPart(ref r);
                string appContext = "";
                var contexts = new List<PresentationContextAnswer>();
                UserInformation? user = null;
                while (r.Remaining > 0)
                {
                    var (itemType, item) = r.ReadItem();
                    switch (itemType)
                    {
                        case ApplicationContextItem:
                            appContext = item.ReadRemainingUid();
                            break;
                        case PresentationContextAcceptItem:
                            contexts.Add(ReadAnswer(ref item));
                            break;
                        case UserInformationItem:
                            user = ReadUserInformation(ref item);
                            break;
                    }
                }
                return new AssociateAcceptPdu(called, calling, appContext, contexts, user ?? new UserInformation(0, "", null));
            }
            case PduType.AssociateReject:
            {
                r.Require(4);
                r.Skip(1);
                return new AssociateRejectPdu(r.ReadByte(), r.ReadByte(), r.ReadByte());
            }
            case PduType.DataTransfer:
            {
                var values = new List<PresentationDataValue>();
                while (r.Remaining > 0)
                {
                    var pdvLength = r.ReadUInt32BE();
                    if (pdvLength < 2 || pdvLength > (uint)r.Remaining)
                    {
                        throw new DicomProtocolException($"PDV item length {pdvLength} is invalid ({r.Remaining} bytes remain).");
                    }
                    var contextId = r.ReadByte();
                    var control = r.ReadByte();
                    var fragment = r.ReadBytes((int)pdvLength - 2);
                    values.Add(new PresentationDataValue(contextId, (control & 1) != 0, (control & 2) != 0, fragment));
                }
                if (values.Count == 0)
                {
                    throw new DicomProtocolException("P-DATA-TF without any PDV item.");
                }
                return new DataTransferPdu(values);
            }
            case PduType.ReleaseRequest:
                r.Require(4);
                return new ReleaseRequestPdu();
            case PduType.ReleaseResponse:
                r.Require(4);
                return new ReleaseResponsePdu();
            case PduType.Abort:
            {
                r.Require(4);
                r.Skip(2);
                return new AbortPdu(r.ReadByte(), r.ReadByte());
            }
            default:
                throw new DicomProtocolException($"Unknown PDU type 0x{type:X2}.");
        }
    }

    public static uint ReadUInt32BE(byte[] data, int offset) =>
        (uint)((data[offset] << 24) | (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3]);

    private static PresentationContextProposal ReadProposal(ref Cursor item)
    {
        var id = item.ReadByte();
        item.Skip(3);
        string? abstractSyntax = null;
        var transferSyntaxes = new List<string>();
        while (item.Remaining > 0)
        {
            var (subType, sub) = item.ReadItem();
            if (subType == AbstractSyntaxItem)
            {
                abstractSyntax = sub.ReadRemainingUid();
            }
            else if (subType == TransferSyntaxItem)
            {
                transferSyntaxes.Add(sub.ReadRemainingUid());
            }
        }
        return new PresentationContextProposal(id, abstractSyntax ?? "", transferSyntaxes);
    }

    private static PresentationContextAnswer ReadAnswer(ref Cursor item)
    {
        var id = item.ReadByte();
        item.Skip(1);
        var result = item.ReadByte();
        item.Skip(1);
        var transferSyntax = "";
        while (item.Remaining > 0)
        {
            var (subType, sub) = item.ReadItem();
            if (subType == TransferSyntaxItem)
            {
                transferSyntax = sub.ReadRemainingUid();
            }
        }
        return new PresentationContextAnswer(id, (PresentationContextResult)result, transferSyntax);
    }

    private static UserInformation ReadUserInformation(ref Cursor item)
    {
        uint maxLength = 0;
        var classUid = "";
        string? versionName = null;
        while (item.Remaining > 0)
        {
            var (subType, sub) = item.ReadItem();
            switch (subType)
            {
                case MaxLengthSubItem:
                    maxLength = sub.ReadUInt32BE();
                    break;
                case ImplementationClassUidSubItem:
                    classUid = sub.ReadRemainingUid();
                    break;
                case ImplementationVersionNameSubItem:
                    versionName = sub.ReadRemainingUid();
                    break;
            }
        }
        return new UserInformation(maxLength, classUid, versionName);
    }

    private static void WriteUserInformation(ByteBuffer buffer, UserInformation user)
    {
        var start = BeginItem(buffer, UserInformationItem);
        var max = new ByteBuffer(4);
        max.WriteUInt32BE(user.MaxPduLength);
        WriteItem(buffer, MaxLengthSubItem, max.ToArray());
        WriteItem(buffer, ImplementationClassUidSubItem, Ascii(user.ImplementationClassUid));
        if (!string.IsNullOrEmpty(user.ImplementationVersionName))
        {
            WriteItem(buffer, ImplementationVersionNameSubItem, Ascii(user.ImplementationVersionName!));
        }
        EndItem(buffer, start);
    }

    private static void WriteAssociateFixedPart(ByteBuffer buffer, string called, string calling)
    {
        buffer.WriteUInt16BE(1);
        buffer.WriteZeros(2);
        buffer.WriteBytes(AeTitle(called));
        buffer.WriteBytes(AeTitle(calling));
        buffer.WriteZeros(32);
    }

    private static (string called, string calling) ReadAssociateFixedPart(ref Cursor r)
    {
        r.Require(68);
        r.Skip(4);
        var called = r.ReadAscii(16).Trim(' ', '\0');
        var calling = r.ReadAscii(16).Trim(' ', '\0');
        r.Skip(32);
        return (called, calling);
    }

    private static byte[] AeTitle(string title)
    {
        var bytes = new byte[16];
        for (var i = 0; i < 16; i++)
        {
            bytes[i] = i < title.Length ? (byte)title[i] : (byte)' ';
        }
        return bytes;
    }

    private static byte[] Ascii(string value) => Encoding.ASCII.GetBytes(value);

    private static void WriteItem(ByteBuffer buffer, byte type, byte[] content)
    {
        buffer.WriteByte(type);
        buffer.WriteByte(0);
        buffer.WriteUInt16BE((ushort)content.Length);
        buffer.WriteBytes(content);
    }

    private static int BeginItem(ByteBuffer buffer, byte type)
    {
        buffer.WriteByte(type);
        buffer.WriteByte(0);
        buffer.WriteUInt16BE(0);
        return buffer.Length;
    }

    private static void EndItem(ByteBuffer buffer, int contentStart)
    {
        var length = buffer.Length - contentStart;
        if (length > 0xFFFF)
        {
            throw new ArgumentException("A PDU item is longer than 65535 bytes.");
        }
        buffer.PatchUInt16BE(contentStart - 2, (ushort)length);
    }

    /// <summary>A bounds-checked forward reader over a slice; every overrun is a protocol error.</summary>
    private struct Cursor
    {
        private readonly byte[] _data;
        private readonly int _end;
        private int _pos;

        public Cursor(byte[] data, int start, int end)
        {
            if (start < 0 || end > data.Length || start > end)
            {
                throw new DicomProtocolException("PDU body lies outside the buffer.");
            }
            _data = data;
            _pos = start;
            _end = end;
        }

        public int Remaining => _end - _pos;

        public void Require(int count)
        {
            if (Remaining < count)
            {
                throw new DicomProtocolException($"PDU truncated: {count} bytes expected, {Remaining} remain.");
            }
        }

        public void Skip(int count)
        {
            Require(count);
            _pos += count;
        }

        public byte ReadByte()
        {
            Require(1);
            return _data[_pos++];
        }

        public uint ReadUInt32BE()
        {
            Require(4);
            var value = PduCodec.ReadUInt32BE(_data, _pos);
            _pos += 4;
            return value;
        }

        public byte[] ReadBytes(int count)
        {
            Require(count);
            var bytes = new byte[count];
            Buffer.BlockCopy(_data, _pos, bytes, 0, count);
            _pos += count;
            return bytes;
        }

        public string ReadAscii(int count)
        {
            Require(count);
            var text = Encoding.ASCII.GetString(_data, _pos, count);
            _pos += count;
            return text;
        }

        /// <summary>Reads the rest as a UID/name; tolerates NUL or space padding some peers add.</summary>
        public string ReadRemainingUid() => ReadAscii(Remaining).Trim(' ', '\0');

        /// <summary>Reads an item header (type, reserved, 2-byte BE length) and returns a cursor over its content.</summary>
        public (byte type, Cursor content) ReadItem()
        {
            Require(4);
            var type = _data[_pos];
            var length = (_data[_pos + 2] << 8) | _data[_pos + 3];
            _pos += 4;
            Require(length);
            var content = new Cursor(_data, _pos, _pos + length);
            _pos += length;
            return (type, content);
        }
    }
}
