using System;
using System.Collections.Generic;
using System.Text;

namespace HandiImaging.Dicom;

/// <summary>Bounds that protect the reader from hostile or broken input.</summary>
public sealed record DicomCodecLimits
{
    public static readonly DicomCodecLimits Default = new();

    /// <summary>Longest single element value accepted; anything longer is a protocol error.</summary>
    public int MaxElementLength { get; init; } = 16 * 1024 * 1024;

    /// <summary>Deepest sequence nesting accepted.</summary>
    public int MaxSequenceDepth { get; init; } = 16;
}

/// <summary>Reads and writes datasets in Implicit or Explicit VR Little Endian (PS3.5 §7).</summary>
public static class DicomDatasetCodec
{
    private const uint UndefinedLength = 0xFFFFFFFF;

    /// <summary>
    /// Encodes a dataset. Group-length elements are written as given. If the dataset has no Specific Character
    /// Set but contains non-ASCII text, ISO_IR 192 (UTF-8) is declared and used.
    /// </summary>
    public static byte[] Encode(DicomDataset dataset, DicomTransferSyntax syntax, bool undefinedLengthSequences = false)
    {
        var buffer = new ByteBuffer();
        var writer = new Writer(buffer, syntax.IsExplicitVR, undefinedLengthSequences);
        var encoding = ChooseEncoding(dataset, out var declareUtf8);
        if (declareUtf8)
        {
            var declared = new DicomDataset();
            foreach (var element in dataset)
            {
                declared.Put(element);
            }
            declared.Set(DicomTags.SpecificCharacterSet, DicomCharacterSets.Utf8Term);
            dataset = declared;
        }
        writer.WriteDataset(dataset, encoding);
        return buffer.ToArray();
    }

    /// <summary>Decodes a whole buffer; any malformation is a <see cref="DicomProtocolException"/>.</summary>
    public static DicomDataset Decode(byte[] data, DicomTransferSyntax syntax, DicomCodecLimits? limits = null) =>
        Decode(data, 0, data.Length, syntax, limits);

    public static DicomDataset Decode(byte[] data, int offset, int count, DicomTransferSyntax syntax, DicomCodecLimits? limits = null)
    {
        if (offset < 0 || count < 0 || offset + count > data.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
        var reader = new Reader(data, offset, offset + count, syntax.IsExplicitVR, limits ?? DicomCodecLimits.Default);
        var dataset = reader.ReadDataset(offset + count, untilItemDelimiter: false, DicomCharacterSet.Default, depth: 0);
        if (reader.Warnings.Count > 0)
        {
            dataset.DecodingWarnings = reader.Warnings;
        }
        return dataset;
    }

    private static Encoding ChooseEncoding(DicomDataset dataset, out bool declareUtf8)
    {
        declareUtf8 = false;
        var declared = dataset.GetString(DicomTags.SpecificCharacterSet);
        if (!string.IsNullOrEmpty(declared))
        {
            return DicomCharacterSets.ForEncoding(declared);
        }
        if (dataset.ContainsNonAsciiText())
        {
            declareUtf8 = true;
            return DicomCharacterSets.ForEncoding(DicomCharacterSets.Utf8Term);
        }
        return DicomCharacterSets.Latin1;
    }

    private sealed class Writer
    {
        private readonly ByteBuffer _out;
        private readonly bool _explicit;
        private readonly bool _undefinedSequences;

        public Writer(ByteBuffer output, bool isExplicit, bool undefinedSequences)
        {
            _out = output;
            _explicit = isExplicit;
            _undefinedSequences = undefinedSequences;
        }

        public void WriteDataset(DicomDataset dataset, Encoding encoding)
        {
            foreach (var element in dataset)
            {
                if (element.IsSequence)
                {
                    WriteSequence(element, encoding);
                    continue;
                }
                var value = element.Text != null ? encoding.GetBytes(element.Text) : element.RawBytes ?? Array.Empty<byte>();
                var padded = (value.Length & 1) == 1;
                var length = value.Length + (padded ? 1 : 0);
                WriteHeader(element.Tag, element.VR, (uint)length);
                _out.WriteBytes(value);
                if (padded)
                {
                    _out.WriteByte(DicomVRInfo.PaddingByte(element.VR));
                }
            }
        }

        private void WriteSequence(DicomElement element, Encoding encoding)
        {
            if (_undefinedSequences)
            {
                WriteHeader(element.Tag, DicomVR.SQ, UndefinedLength);
                foreach (var item in element.Items)
                {
                    WriteTag(DicomTags.Item);
                    _out.WriteUInt32LE(UndefinedLength);
                    WriteDataset(item, ItemEncoding(item, encoding));
                    WriteTag(DicomTags.ItemDelimitationItem);
                    _out.WriteUInt32LE(0);
                }
                WriteTag(DicomTags.SequenceDelimitationItem);
                _out.WriteUInt32LE(0);
                return;
            }
            var content = new ByteBuffer();
            foreach (var item in element.Items)
            {
                var itemBuffer = new ByteBuffer();
                new Writer(itemBuffer, _explicit, _undefinedSequences).WriteDataset(item, ItemEncoding(item, encoding));
                WriteTag(content, DicomTags.Item);
                content.WriteUInt32LE((uint)itemBuffer.Length);
                content.WriteBytes(itemBuffer.ToArray());
            }
            WriteHeader(element.Tag, DicomVR.SQ, (uint)content.Length);
            _out.WriteBytes(content.ToArray());
        }

        private static Encoding ItemEncoding(DicomDataset item, Encoding inherited)
        {
            var declared = item.GetString(DicomTags.SpecificCharacterSet);
            return string.IsNullOrEmpty(declared) ? inherited : DicomCharacterSets.ForEncoding(declared);
        }

        private void WriteTag(DicomTag tag) => WriteTag(_out, tag);

        private static void WriteTag(ByteBuffer output, DicomTag tag)
        {
            output.WriteUInt16LE(tag.Group);
            output.WriteUInt16LE(tag.Element);
        }

        private void WriteHeader(DicomTag tag, DicomVR vr, uint length)
        {
            WriteTag(tag);
            if (!_explicit)
            {
                _out.WriteUInt32LE(length);
                return;
            }
            var name = vr.ToString();
            _out.WriteByte((byte)name[0]);
            _out.WriteByte((byte)name[1]);
            if (DicomVRInfo.HasLongLength(vr))
            {
                _out.WriteUInt16LE(0);
                _out.WriteUInt32LE(length);
                return;
            }
            if (length > 0xFFFE)
            {
                throw new ArgumentException($"{tag}: a {vr} value of {length} bytes does not fit a 16-bit length.");
            }
            _out.WriteUInt16LE((ushort)length);
        }
    }

    private sealed class Reader
    {
        private readonly byte[] _data;
        private readonly int _end;
        private readonly DicomCodecLimits _limits;
        private int _pos;
        private bool _explicit;

        /// <summary>Character-set problems met while decoding (unknown terms, unknown escapes), each once.</summary>
        public List<string> Warnings { get; } = new();

        public Reader(byte[] data, int start, int end, bool isExplicit, DicomCodecLimits limits)
        {
            _data = data;
            _pos = start;
            _end = end;
            _explicit = isExplicit;
            _limits = limits;
        }

        /// <summary>Reads elements up to <paramref name="end"/>, or up to an item delimiter.</summary>
        public DicomDataset ReadDataset(int end, bool untilItemDelimiter, DicomCharacterSet charset, int depth)
        {
            var dataset = new DicomDataset();
            while (true)
            {
                if (_pos >= end)
                {
                    if (untilItemDelimiter)
                    {
                        throw new DicomProtocolException("Item of undefined length has no item delimiter.");
                    }
                    return dataset;
                }
                var tag = ReadTag(end);
                if (tag == DicomTags.ItemDelimitationItem)
                {
                    if (!untilItemDelimiter)
                    {
                        throw new DicomProtocolException($"Unexpected item delimiter at offset {_pos - 4}.");
                    }
                    ReadUInt32(end);
                    return dataset;
                }
                if (tag.Group == 0xFFFE)
                {
                    throw new DicomProtocolException($"Unexpected delimiter tag {tag} inside a dataset.");
                }
                var (vr, length) = ReadHeader(tag, end);
                if (vr == DicomVR.SQ || (vr == DicomVR.UN && length == UndefinedLength))
                {
                    // An undefined-length UN is a sequence whose items are Implicit VR LE (PS3.5 §6.2.2).
                    var wasExplicit = _explicit;
                    if (vr == DicomVR.UN)
                    {
                        _explicit = false;
                    }
                    var items = ReadSequence(length, end, charset, depth + 1);
                    _explicit = wasExplicit;
                    dataset.Put(new DicomElement(tag, DicomVR.SQ, null, null, items));
                    continue;
                }
                if (length == UndefinedLength)
                {
                    throw new DicomProtocolException($"{tag}: undefined length is only supported for sequences.");
                }
                var value = ReadValue(tag, length, end);
                if (DicomVRInfo.IsText(vr))
                {
                    var text = charset.Decode(value, vr, Warnings).TrimEnd(' ', '\0');
                    if (tag == DicomTags.SpecificCharacterSet)
                    {
                        charset = DicomCharacterSet.Parse(text);
                        foreach (var warning in charset.Warnings)
                        {
                            if (!Warnings.Contains(warning))
                            {
                                Warnings.Add(warning);
                            }
                        }
                    }
                    dataset.Put(new DicomElement(tag, vr, text, null, null));
                }
                else
                {
                    dataset.Put(new DicomElement(tag, vr, null, value, null));
                }
            }
        }

        private List<DicomDataset> ReadSequence(uint length, int enclosingEnd, DicomCharacterSet charset, int depth)
        {
            if (depth > _limits.MaxSequenceDepth)
            {
                throw new DicomProtocolException($"Sequences nested deeper than {_limits.MaxSequenceDepth} levels.");
            }
            var defined = length != UndefinedLength;
            var end = defined ? CheckedEnd(length, enclosingEnd, "sequence") : enclosingEnd;
            var items = new List<DicomDataset>();
            while (true)
            {
                if (defined && _pos >= end)
                {
                    return items;
                }
                var tag = ReadTag(end);
                var itemLength = ReadUInt32(end);
                if (tag == DicomTags.SequenceDelimitationItem)
                {
                    if (defined)
                    {
                        throw new DicomProtocolException("Sequence delimiter inside a sequence of defined length.");
                    }
                    return items;
                }
                if (tag != DicomTags.Item)
                {
                    throw new DicomProtocolException($"Expected an item tag in a sequence, found {tag}.");
                }
                var item = itemLength == UndefinedLength
                    ? ReadDataset(end, untilItemDelimiter: true, charset, depth)
                    : ReadDefinedItem(itemLength, end, charset, depth);
                items.Add(item);
            }
        }

        private DicomDataset ReadDefinedItem(uint length, int enclosingEnd, DicomCharacterSet charset, int depth)
        {
            var itemEnd = CheckedEnd(length, enclosingEnd, "item");
            var item = ReadDataset(itemEnd, untilItemDelimiter: false, charset, depth);
            if (_pos != itemEnd)
            {
                throw new DicomProtocolException("An element overruns the end of its item.");
            }
            return item;
        }

        private (DicomVR vr, uint length) ReadHeader(DicomTag tag, int end)
        {
            if (!_explicit)
            {
                var length = ReadUInt32(end);
                var known = DicomDictionary.Lookup(tag);
                return (known ?? (length == UndefinedLength ? DicomVR.SQ : DicomVR.UN), length);
            }
            Require(2, end);
            if (!DicomVRInfo.TryParse(_data[_pos], _data[_pos + 1], out var vr))
            {
                if (!DicomVRInfo.IsLetter(_data[_pos]) || !DicomVRInfo.IsLetter(_data[_pos + 1]))
                {
                    throw new DicomProtocolException($"{tag}: invalid VR bytes 0x{_data[_pos]:X2}{_data[_pos + 1]:X2}.");
                }
                // A VR defined after this code was written: new VRs use the long form (PS3.5 §7.1.2), so read it as UN, like dcmtk.
                vr = DicomVR.UN;
            }
            _pos += 2;
            if (DicomVRInfo.HasLongLength(vr))
            {
                Require(2, end);
                _pos += 2;
                return (vr, ReadUInt32(end));
            }
            Require(2, end);
            var shortLength = (uint)(_data[_pos] | (_data[_pos + 1] << 8));
            _pos += 2;
            return (vr, shortLength);
        }

        private byte[] ReadValue(DicomTag tag, uint length, int end)
        {
            if (length > (uint)_limits.MaxElementLength)
            {
                throw new DicomProtocolException($"{tag}: element length {length} exceeds the limit of {_limits.MaxElementLength} bytes.");
            }
            if (length > (uint)(end - _pos))
            {
                throw new DicomProtocolException($"{tag}: element length {length} exceeds the {end - _pos} bytes remaining.");
            }
            var value = new byte[length];
            Buffer.BlockCopy(_data, _pos, value, 0, (int)length);
            _pos += (int)length;
            return value;
        }

        private int CheckedEnd(uint length, int enclosingEnd, string what)
        {
            if (length > (uint)(enclosingEnd - _pos))
            {
                throw new DicomProtocolException($"A {what} length of {length} exceeds the {enclosingEnd - _pos} bytes remaining.");
            }
            return _pos + (int)length;
        }

        private DicomTag ReadTag(int end)
        {
            Require(4, end);
            var group = (ushort)(_data[_pos] | (_data[_pos + 1] << 8));
            var element = (ushort)(_data[_pos + 2] | (_data[_pos + 3] << 8));
            _pos += 4;
            return new DicomTag(group, element);
        }

        private uint ReadUInt32(int end)
        {
            Require(4, end);
            var value = (uint)(_data[_pos] | (_data[_pos + 1] << 8) | (_data[_pos + 2] << 16) | (_data[_pos + 3] << 24));
            _pos += 4;
            return value;
        }

        private void Require(int count, int end)
        {
            if (end > _end || end - _pos < count)
            {
                throw new DicomProtocolException($"Dataset truncated at offset {_pos}: {count} more bytes expected.");
            }
        }
    }
}
