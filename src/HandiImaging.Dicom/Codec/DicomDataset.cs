using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace HandiImaging.Dicom;

/// <summary>
/// An ordered set of attributes (a query identifier, a C-FIND match, a command set). Setting a tag twice
/// replaces the earlier value. Getters return null/empty for absent attributes rather than throwing.
/// </summary>
public sealed class DicomDataset : IEnumerable<DicomElement>
{
    private readonly SortedList<DicomTag, DicomElement> _elements = new();

    public int Count => _elements.Count;

    /// <summary>
    /// What the decoder could not honour in this dataset's character set (an unknown Specific Character Set
    /// term or escape sequence, decoded as Latin-1 instead); empty when everything decoded as declared.
    /// </summary>
    public IReadOnlyList<string> DecodingWarnings { get; internal set; } = Array.Empty<string>();

    public bool Contains(DicomTag tag) => _elements.ContainsKey(tag);

    public DicomElement? GetElement(DicomTag tag) => _elements.TryGetValue(tag, out var e) ? e : null;

    /// <summary>Sets a text attribute of a tag in the built-in dictionary (see <see cref="DicomTags"/>); null means empty (a return key in a query).</summary>
    public DicomDataset Set(DicomTag tag, string? value) => Set(tag, RequireKnownVR(tag), value);

    /// <summary>Sets a multi-valued text attribute (joined with '\').</summary>
    public DicomDataset Set(DicomTag tag, IEnumerable<string> values) => Set(tag, RequireKnownVR(tag), string.Join("\\", values));

    public DicomDataset Set(DicomTag tag, DicomVR vr, string? value)
    {
        if (!DicomVRInfo.IsText(vr))
        {
            throw new ArgumentException($"{tag}: VR {vr} does not hold text.", nameof(vr));
        }
        return Put(new DicomElement(tag, vr, value ?? "", null, null));
    }

    public DicomDataset Set(DicomTag tag, ushort value) =>
        SetBytes(tag, DicomVR.US, new[] { (byte)value, (byte)(value >> 8) });

    public DicomDataset Set(DicomTag tag, uint value) =>
        SetBytes(tag, DicomVR.UL, new[] { (byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24) });

    /// <summary>Sets a binary attribute (OB, OW, UN, US, UL, ...) from little-endian bytes; the array is copied.</summary>
    public DicomDataset SetBytes(DicomTag tag, DicomVR vr, byte[] value)
    {
        if (DicomVRInfo.IsText(vr) || vr == DicomVR.SQ)
        {
            throw new ArgumentException($"{tag}: VR {vr} is not a binary VR.", nameof(vr));
        }
        return Put(new DicomElement(tag, vr, null, (byte[])value.Clone(), null));
    }

    public DicomDataset SetSequence(DicomTag tag, params DicomDataset[] items) =>
        Put(new DicomElement(tag, DicomVR.SQ, null, null, items.ToArray()));

    public bool Remove(DicomTag tag) => _elements.Remove(tag);

    /// <summary>The value trimmed of padding and surrounding spaces; null when absent or not text.</summary>
    public string? GetString(DicomTag tag) => GetElement(tag)?.Text?.Trim(' ', '\0');

    /// <summary>The values of a multi-valued text attribute, each trimmed; empty when absent or empty.</summary>
    public IReadOnlyList<string> GetStrings(DicomTag tag)
    {
        var text = GetString(tag);
        if (string.IsNullOrEmpty(text))
        {
            return Array.Empty<string>();
        }
        return text!.Split('\\').Select(v => v.Trim(' ', '\0')).ToArray();
    }

    /// <summary>The first value of a US/SS/UL/SL attribute, or an IS/DS attribute holding an integer.</summary>
    public int? GetInt32(DicomTag tag)
    {
        var element = GetElement(tag);
        if (element == null)
        {
            return null;
        }
        if (element.Text != null)
        {
            var first = element.Text.Split('\\')[0].Trim(' ', '\0');
            return int.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
        }
        var b = element.RawBytes;
        if (b == null)
        {
            return null;
        }
        return element.VR switch
        {
            DicomVR.US when b.Length >= 2 => b[0] | (b[1] << 8),
            DicomVR.SS when b.Length >= 2 => (short)(b[0] | (b[1] << 8)),
            DicomVR.UL or DicomVR.SL when b.Length >= 4 => b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24),
            _ => null,
        };
    }

    /// <summary>The items of a sequence; empty when absent.</summary>
    public IReadOnlyList<DicomDataset> GetSequence(DicomTag tag) =>
        GetElement(tag)?.Items ?? Array.Empty<DicomDataset>();

    public IEnumerator<DicomElement> GetEnumerator() => _elements.Values.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal DicomDataset Put(DicomElement element)
    {
        _elements[element.Tag] = element;
        return this;
    }

    internal bool ContainsNonAsciiText() =>
        _elements.Values.Any(e =>
            (e.Text != null && !DicomCharacterSets.IsAscii(e.Text)) || e.Items.Any(i => i.ContainsNonAsciiText()));

    private static DicomVR RequireKnownVR(DicomTag tag) =>
        DicomDictionary.Lookup(tag)
        ?? throw new ArgumentException($"{tag} is not in the built-in dictionary; pass its VR explicitly.", nameof(tag));
}
