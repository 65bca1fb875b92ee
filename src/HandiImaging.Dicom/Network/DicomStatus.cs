using System;
using System.Globalization;

namespace HandiImaging.Dicom;

public enum DicomStatusCategory
{
    Success,
    Pending,
    Cancel,
    Warning,
    Failure,
}

/// <summary>A DIMSE status code (PS3.7 Annex C) with its category and a short meaning.</summary>
public readonly struct DicomStatus : IEquatable<DicomStatus>
{
    public DicomStatus(ushort code)
    {
        Code = code;
    }

    public ushort Code { get; }

    public DicomStatusCategory Category => Code switch
    {
        0x0000 => DicomStatusCategory.Success,
        0xFF00 or 0xFF01 => DicomStatusCategory.Pending,
        0xFE00 => DicomStatusCategory.Cancel,
        0x0001 or 0x0107 or 0x0116 => DicomStatusCategory.Warning,
        _ when (Code & 0xF000) == 0xB000 => DicomStatusCategory.Warning,
        _ => DicomStatusCategory.Failure,
    };

    public bool IsSuccess => Category == DicomStatusCategory.Success;
    public bool IsPending => Category == DicomStatusCategory.Pending;
    public bool IsFinal => !IsPending;

    public string Description => Code switch
    {
        0x0000 => "success",
        0xFF00 => "pending",
        0xFF01 => "pending (some optional keys not supported)",
        0xFE00 => "cancelled",
        0xB000 => "sub-operations finished with one or more failures",
        0xA700 or 0xA701 or 0xA702 => "out of resources",
        0xA801 => "move destination unknown",
        0xA900 => "identifier does not match SOP class",
        0x0122 => "SOP class not supported",
        _ when (Code & 0xF000) == 0xC000 => "unable to process",
        _ => Category.ToString().ToLowerInvariant(),
    };

    public bool Equals(DicomStatus other) => Code == other.Code;
    public override bool Equals(object? obj) => obj is DicomStatus other && Equals(other);
    public override int GetHashCode() => Code;

    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "0x{0:X4} ({1})", Code, Description);
}
