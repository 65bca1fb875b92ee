using System;
using System.Text;

namespace HandiImaging.Dicom;

/// <summary>Maps Specific Character Set (0008,0005) to a .NET encoding.</summary>
internal static class DicomCharacterSets
{
    public const string Latin1Term = "ISO_IR 100";
    public const string Utf8Term = "ISO_IR 192";

    /// <summary>Latin-1 decodes ASCII unchanged and never fails, so it is also the fallback for undeclared bytes.</summary>
    public static readonly Encoding Latin1 = Encoding.GetEncoding(
        28591, EncoderFallback.ExceptionFallback, DecoderFallback.ReplacementFallback);

    public static readonly Encoding Utf8 = new UTF8Encoding(false, false);

    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, true);

    /// <summary>The decoding for a declared value; unknown terms fall back to Latin-1 rather than failing a response.</summary>
    public static Encoding ForDecoding(string? specificCharacterSet) =>
        Term(specificCharacterSet) switch
        {
            Utf8Term => Utf8,
            _ => Latin1,
        };

    /// <summary>The encoding for writing; a term we cannot write is a caller error.</summary>
    public static Encoding ForEncoding(string? specificCharacterSet)
    {
        var term = Term(specificCharacterSet);
        return term switch
        {
            "" or "ISO_IR 6" or Latin1Term => Latin1,
            Utf8Term => StrictUtf8,
            _ => throw new ArgumentException(
                $"Specific Character Set '{specificCharacterSet}' is not supported for writing; use ISO_IR 100 or ISO_IR 192."),
        };
    }

    public static bool IsAscii(string text)
    {
        foreach (var c in text)
        {
            if (c > 0x7F)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The first non-empty value (the ISO 2022 code-extension forms put the default repertoire first and
    /// are not used by the peers we target); "ISO 2022 IR 100" is treated as ISO_IR 100.
    /// </summary>
    private static string Term(string? value)
    {
        if (value == null)
        {
            return "";
        }
        foreach (var part in value.Split('\\'))
        {
            var term = part.Trim();
            if (term.Length == 0)
            {
                continue;
            }
            return term switch
            {
                "ISO 2022 IR 100" => Latin1Term,
                "ISO 2022 IR 6" => "ISO_IR 6",
                _ => term,
            };
        }
        return "";
    }
}
