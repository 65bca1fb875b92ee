using System;
using System.Collections.Generic;

namespace HandiImaging.Dicom;

/// <summary>
/// One attribute: text for character-string VRs (already decoded with the dataset's character set, trailing
/// padding removed), raw little-endian bytes for binary VRs, items for sequences.
/// </summary>
public sealed class DicomElement
{
    private static readonly IReadOnlyList<DicomDataset> NoItems = Array.Empty<DicomDataset>();
    private readonly byte[]? _bytes;

    internal DicomElement(DicomTag tag, DicomVR vr, string? text, byte[]? bytes, IReadOnlyList<DicomDataset>? items)
    {
        Tag = tag;
        VR = vr;
        Text = text;
        _bytes = bytes;
        Items = items ?? NoItems;
    }

    public DicomTag Tag { get; }
    public DicomVR VR { get; }

    /// <summary>The value of a character-string VR (multiple values separated by '\'); null for other VRs.</summary>
    public string? Text { get; }

    /// <summary>Items of a sequence (SQ); empty for other VRs.</summary>
    public IReadOnlyList<DicomDataset> Items { get; }

    public bool IsSequence => VR == DicomVR.SQ;

    internal byte[]? RawBytes => _bytes;

    /// <summary>A copy of the value of a binary VR; null for text and sequences.</summary>
    public byte[]? GetBytes() => _bytes == null ? null : (byte[])_bytes.Clone();

    public override string ToString() => $"{Tag} {VR} {Text ?? (IsSequence ? $"{Items.Count} item(s)" : $"{_bytes?.Length ?? 0} bytes")}";
}
