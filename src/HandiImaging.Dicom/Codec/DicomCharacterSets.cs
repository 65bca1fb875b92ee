using System;
using System.Collections.Generic;
using System.Text;

namespace HandiImaging.Dicom;

/// <summary>Encodings for writing, and the shared single-byte encodings; decoding is <see cref="DicomCharacterSet"/>.</summary>
internal static class DicomCharacterSets
{
    public const string Latin1Term = "ISO_IR 100";
    public const string Utf8Term = "ISO_IR 192";

    static DicomCharacterSets()
    {
        // netstandard2.0 (and .NET Core) ship only ASCII, Latin-1 and the Unicode encodings; the provider adds
        // ISO 8859-x, TIS-620, EUC-KR, GB2312/GBK, GB18030 and EUC-JP (with JIS X 0212).
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
    }

    /// <summary>Latin-1 decodes ASCII unchanged and never fails, so it is also the fallback for undeclared bytes.</summary>
    public static readonly Encoding Latin1 = Encoding.GetEncoding(
        28591, EncoderFallback.ExceptionFallback, DecoderFallback.ReplacementFallback);

    public static readonly Encoding Utf8 = new UTF8Encoding(false, false);

    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, true);

    /// <summary>A code page with replacement on undecodable bytes (a PACS's bad byte must not fail a response).</summary>
    public static Encoding CodePage(int codePage) =>
        Encoding.GetEncoding(codePage, EncoderFallback.ExceptionFallback, DecoderFallback.ReplacementFallback);

    /// <summary>The encoding for writing; a term we cannot write is a caller error.</summary>
    public static Encoding ForEncoding(string? specificCharacterSet)
    {
        var term = FirstTerm(specificCharacterSet);
        return term switch
        {
            "" or "ISO_IR 6" or "ISO 2022 IR 6" or Latin1Term or "ISO 2022 IR 100" => Latin1,
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

    private static string FirstTerm(string? value)
    {
        foreach (var part in (value ?? "").Split('\\'))
        {
            var term = part.Trim();
            if (term.Length != 0)
            {
                return term;
            }
        }
        return "";
    }
}

/// <summary>
/// The decoding a dataset's Specific Character Set (0008,0005) asks for (PS3.3 C.12.1.1.2, PS3.5 §6.1): every
/// defined term, single-byte and multi-byte, with or without ISO 2022 code extensions. Escape sequences switch
/// G0 (bytes 21–7E) or G1 (A1–FE); the designations of value 1 come back at each line end, TAB, FF, value
/// delimiter and, in person names, at each component (^) and component group (=). Unknown terms and escape
/// sequences decode as Latin-1 and are listed in <see cref="Warnings"/>; they never fail a response.
/// </summary>
internal sealed class DicomCharacterSet
{
    private const byte Esc = 0x1B;

    /// <summary>No (0008,0005): the default repertoire, with Latin-1 for stray high bytes.</summary>
    public static readonly DicomCharacterSet Default = new("", GraphicSet.Ascii, GraphicSet.Latin1Fallback, null, Array.Empty<string>());

    private static readonly Dictionary<string, (GraphicSet G0, GraphicSet G1)> Terms = new(StringComparer.Ordinal)
    {
        ["ISO_IR 6"] = (GraphicSet.Ascii, GraphicSet.Latin1Fallback),
        ["ISO 2022 IR 6"] = (GraphicSet.Ascii, GraphicSet.Latin1Fallback),
        ["ISO_IR 100"] = (GraphicSet.Ascii, GraphicSet.Latin1),
        ["ISO 2022 IR 100"] = (GraphicSet.Ascii, GraphicSet.Latin1),
        ["ISO_IR 101"] = (GraphicSet.Ascii, GraphicSet.Latin2),
        ["ISO 2022 IR 101"] = (GraphicSet.Ascii, GraphicSet.Latin2),
        ["ISO_IR 109"] = (GraphicSet.Ascii, GraphicSet.Latin3),
        ["ISO 2022 IR 109"] = (GraphicSet.Ascii, GraphicSet.Latin3),
        ["ISO_IR 110"] = (GraphicSet.Ascii, GraphicSet.Latin4),
        ["ISO 2022 IR 110"] = (GraphicSet.Ascii, GraphicSet.Latin4),
        ["ISO_IR 144"] = (GraphicSet.Ascii, GraphicSet.Cyrillic),
        ["ISO 2022 IR 144"] = (GraphicSet.Ascii, GraphicSet.Cyrillic),
        ["ISO_IR 127"] = (GraphicSet.Ascii, GraphicSet.Arabic),
        ["ISO 2022 IR 127"] = (GraphicSet.Ascii, GraphicSet.Arabic),
        ["ISO_IR 126"] = (GraphicSet.Ascii, GraphicSet.Greek),
        ["ISO 2022 IR 126"] = (GraphicSet.Ascii, GraphicSet.Greek),
        ["ISO_IR 138"] = (GraphicSet.Ascii, GraphicSet.Hebrew),
        ["ISO 2022 IR 138"] = (GraphicSet.Ascii, GraphicSet.Hebrew),
        ["ISO_IR 148"] = (GraphicSet.Ascii, GraphicSet.Latin5),
        ["ISO 2022 IR 148"] = (GraphicSet.Ascii, GraphicSet.Latin5),
        ["ISO_IR 203"] = (GraphicSet.Ascii, GraphicSet.Latin9),
        ["ISO 2022 IR 203"] = (GraphicSet.Ascii, GraphicSet.Latin9),
        ["ISO_IR 166"] = (GraphicSet.Ascii, GraphicSet.Thai),
        ["ISO 2022 IR 166"] = (GraphicSet.Ascii, GraphicSet.Thai),
        ["ISO_IR 13"] = (GraphicSet.Romaji, GraphicSet.Katakana),
        ["ISO 2022 IR 13"] = (GraphicSet.Romaji, GraphicSet.Katakana),
        // Multi-byte sets are designated by escape sequences in the text; as value 1 they only bring their G1.
        ["ISO 2022 IR 87"] = (GraphicSet.Ascii, GraphicSet.Latin1Fallback),
        ["ISO 2022 IR 159"] = (GraphicSet.Ascii, GraphicSet.Latin1Fallback),
        ["ISO 2022 IR 149"] = (GraphicSet.Ascii, GraphicSet.KsX1001),
        ["ISO 2022 IR 58"] = (GraphicSet.Ascii, GraphicSet.Gb2312),
    };

    /// <summary>Terms that name a whole encoding, without code extensions (value 1 only).</summary>
    private static readonly Dictionary<string, int> WholeEncodings = new(StringComparer.Ordinal)
    {
        ["ISO_IR 192"] = 65001,
        ["GB18030"] = 54936,
        ["GBK"] = 936,
    };

    private readonly GraphicSet _g0;
    private readonly GraphicSet _g1;
    private readonly Encoding? _whole;

    private DicomCharacterSet(string value, GraphicSet g0, GraphicSet g1, Encoding? whole, IReadOnlyList<string> warnings)
    {
        Value = value;
        _g0 = g0;
        _g1 = g1;
        _whole = whole;
        Warnings = warnings;
    }

    /// <summary>(0008,0005) as declared.</summary>
    public string Value { get; }

    /// <summary>What could not be honoured (unknown terms), each naming the term and saying Latin-1 was used.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Parses (0008,0005). An empty value 1 with more values means ISO 2022 IR 6 (PS3.3 C.12.1.1.2).
    /// </summary>
    public static DicomCharacterSet Parse(string? specificCharacterSet)
    {
        var value = (specificCharacterSet ?? "").Trim(' ', '\0');
        if (value.Length == 0)
        {
            return Default;
        }
        var terms = value.Split('\\');
        var warnings = new List<string>();
        for (var i = 0; i < terms.Length; i++)
        {
            var term = terms[i].Trim(' ', '\0');
            if (term.Length != 0 && !Terms.ContainsKey(term) && !(i == 0 && WholeEncodings.ContainsKey(term)))
            {
                warnings.Add($"Specific Character Set term '{term}' is not a DICOM defined term{(i == 0 ? "" : " for a code extension")}; " +
                             "text in that character set was decoded as Latin-1.");
            }
        }
        var first = terms[0].Trim(' ', '\0');
        if (WholeEncodings.TryGetValue(first, out var codePage))
        {
            var whole = codePage == 65001 ? DicomCharacterSets.Utf8 : DicomCharacterSets.CodePage(codePage);
            return new DicomCharacterSet(value, GraphicSet.Ascii, GraphicSet.Latin1Fallback, whole, warnings);
        }
        var (g0, g1) = first.Length == 0
            ? (GraphicSet.Ascii, GraphicSet.Latin1Fallback)
            : Terms.TryGetValue(first, out var sets) ? sets : (GraphicSet.Ascii, GraphicSet.Latin1);
        return new DicomCharacterSet(value, g0, g1, null, warnings);
    }

    /// <summary>
    /// Decodes the value of a text element. Only SH, LO, ST, LT, UC, UT and PN may use the declared set; the
    /// other string VRs are in the default repertoire.
    /// </summary>
    public string Decode(byte[] bytes, DicomVR vr, List<string> warnings)
    {
        if (!UsesCharacterSet(vr) || IsAscii(bytes))
        {
            return DicomCharacterSets.Latin1.GetString(bytes);
        }
        if (_whole != null)
        {
            return _whole.GetString(bytes);
        }
        if (Array.IndexOf(bytes, Esc) < 0 && _g0 == GraphicSet.Ascii && _g1.CodePageEncoding is { } single)
        {
            return single.GetString(bytes);
        }
        return DecodeWithExtensions(bytes, vr == DicomVR.PN, isMultiValued: vr is not (DicomVR.ST or DicomVR.LT or DicomVR.UT), warnings);
    }

    private static bool UsesCharacterSet(DicomVR vr) =>
        vr is DicomVR.SH or DicomVR.LO or DicomVR.ST or DicomVR.LT or DicomVR.UC or DicomVR.UT or DicomVR.PN;

    private static bool IsAscii(byte[] bytes)
    {
        foreach (var b in bytes)
        {
            if (b >= 0x80 || b == Esc)
            {
                return false;
            }
        }
        return true;
    }

    private string DecodeWithExtensions(byte[] bytes, bool isPersonName, bool isMultiValued, List<string> warnings)
    {
        var text = new StringBuilder(bytes.Length);
        var g0 = _g0;
        var g1 = _g1;
        var i = 0;
        while (i < bytes.Length)
        {
            var b = bytes[i];
            if (b == Esc)
            {
                var length = GraphicSet.MatchEscape(bytes, i + 1, out var designated);
                if (designated == null)
                {
                    // ISO 2022 escape: intermediate bytes 20–2F, then one final byte 30–7E; skip it whole.
                    var skip = i + 1;
                    while (skip < bytes.Length && bytes[skip] is >= 0x20 and <= 0x2F)
                    {
                        skip++;
                    }
                    if (skip < bytes.Length && bytes[skip] is >= 0x30 and <= 0x7E)
                    {
                        skip++;
                    }
                    var shown = BitConverter.ToString(bytes, i, skip - i).Replace('-', ' ');
                    var warning = $"Unknown ISO 2022 escape sequence ({shown}) in a value of Specific Character Set '{Value}'; the text after it was decoded as Latin-1.";
                    if (!warnings.Contains(warning))
                    {
                        warnings.Add(warning);
                    }
                    g0 = GraphicSet.Ascii;
                    g1 = GraphicSet.Latin1;
                    i = skip;
                    continue;
                }
                if (designated.IsG0)
                {
                    g0 = designated;
                }
                else
                {
                    g1 = designated;
                }
                i += 1 + length;
                continue;
            }
            if (b >= 0x80)
            {
                var end = i;
                while (end < bytes.Length && bytes[end] >= 0x80)
                {
                    end++;
                }
                text.Append(g1.DecodeRun(bytes, i, end - i));
                i = end;
                continue;
            }
            if (g0.IsMultiByte)
            {
                var end = i;
                while (end < bytes.Length && bytes[end] < 0x80 && bytes[end] != Esc && bytes[end] > 0x20)
                {
                    end++;
                }
                if (end == i)
                {
                    // A control character or space inside a two-byte run: pass it through.
                    text.Append((char)b);
                    i++;
                    continue;
                }
                text.Append(g0.DecodeRun(bytes, i, end - i));
                i = end;
                continue;
            }
            text.Append(g0.DecodeLow(b));
            i++;
            if (IsReset(b, isPersonName, isMultiValued))
            {
                g0 = _g0;
                g1 = _g1;
            }
        }
        return text.ToString();
    }

    private static bool IsReset(byte b, bool isPersonName, bool isMultiValued) =>
        b is 0x0D or 0x0A or 0x09 or 0x0C
        || (isMultiValued && b == (byte)'\\')
        || (isPersonName && b is (byte)'^' or (byte)'=');

    /// <summary>A character set that an escape sequence designates to G0 or G1.</summary>
    internal sealed class GraphicSet
    {
        public static readonly GraphicSet Ascii = new("ASCII", isG0: true, multiByte: false, null, DecodeLatin1);
        /// <summary>JIS X 0201 Roman: ASCII apart from ¥ and ‾; 5C stays the value delimiter, as dcmtk and pydicom read it.</summary>
        public static readonly GraphicSet Romaji = new("JIS X 0201 Romaji", isG0: true, multiByte: false, null, DecodeLatin1);
        public static readonly GraphicSet Jis0208 = new("JIS X 0208", isG0: true, multiByte: true, null, DecodeJis0208);
        public static readonly GraphicSet Jis0212 = new("JIS X 0212", isG0: true, multiByte: true, null, DecodeJis0212);

        public static readonly GraphicSet Latin1Fallback = SingleByte("undeclared (Latin-1)", 28591);
        public static readonly GraphicSet Latin1 = SingleByte("ISO 8859-1", 28591);
        public static readonly GraphicSet Latin2 = SingleByte("ISO 8859-2", 28592);
        public static readonly GraphicSet Latin3 = SingleByte("ISO 8859-3", 28593);
        public static readonly GraphicSet Latin4 = SingleByte("ISO 8859-4", 28594);
        public static readonly GraphicSet Cyrillic = SingleByte("ISO 8859-5", 28595);
        public static readonly GraphicSet Arabic = SingleByte("ISO 8859-6", 28596);
        public static readonly GraphicSet Greek = SingleByte("ISO 8859-7", 28597);
        public static readonly GraphicSet Hebrew = SingleByte("ISO 8859-8", 28598);
        public static readonly GraphicSet Latin5 = SingleByte("ISO 8859-9", 28599);
        public static readonly GraphicSet Latin9 = SingleByte("ISO 8859-15", 28605);
        /// <summary>TIS 620-2533; Windows-874 is the same in A1–FB.</summary>
        public static readonly GraphicSet Thai = SingleByte("TIS 620", 874);
        public static readonly GraphicSet Katakana = new("JIS X 0201 Katakana", isG0: false, multiByte: false, null, DecodeKatakana);
        /// <summary>KS X 1001 in G1 is exactly EUC-KR's two-byte half.</summary>
        public static readonly GraphicSet KsX1001 = Euc("KS X 1001", 949);
        /// <summary>GB 2312 in G1 is exactly EUC-CN's two-byte half.</summary>
        public static readonly GraphicSet Gb2312 = Euc("GB 2312", 936);

        private static readonly Lazy<Encoding> EucJp = new(() => DicomCharacterSets.CodePage(20932));

        private static readonly (byte[] Sequence, GraphicSet Set)[] Escapes =
        {
            (Bytes("(B"), Ascii),
            (Bytes("(J"), Romaji),
            (Bytes("$B"), Jis0208),
            (Bytes("$@"), Jis0208),
            (Bytes("$(D"), Jis0212),
            (Bytes(")I"), Katakana),
            (Bytes("-A"), Latin1),
            (Bytes("-B"), Latin2),
            (Bytes("-C"), Latin3),
            (Bytes("-D"), Latin4),
            (Bytes("-L"), Cyrillic),
            (Bytes("-G"), Arabic),
            (Bytes("-F"), Greek),
            (Bytes("-H"), Hebrew),
            (Bytes("-M"), Latin5),
            (Bytes("-b"), Latin9),
            (Bytes("-T"), Thai),
            (Bytes("$)C"), KsX1001),
            (Bytes("$)A"), Gb2312),
        };

        private readonly Func<byte[], int, int, string> _decode;

        private GraphicSet(string name, bool isG0, bool multiByte, Encoding? codePage, Func<byte[], int, int, string> decode)
        {
            Name = name;
            IsG0 = isG0;
            IsMultiByte = multiByte;
            CodePageEncoding = codePage;
            _decode = decode;
        }

        public string Name { get; }
        public bool IsG0 { get; }
        public bool IsMultiByte { get; }
        /// <summary>For a single-byte G1: the code page that also maps 00–7F to ASCII, so a value without escapes decodes in one call.</summary>
        public Encoding? CodePageEncoding { get; }

        public string DecodeRun(byte[] bytes, int offset, int count) => _decode(bytes, offset, count);

        public char DecodeLow(byte b) => (char)b;

        /// <summary>The length of the escape sequence at <paramref name="offset"/> (after ESC), and the set it designates.</summary>
        public static int MatchEscape(byte[] bytes, int offset, out GraphicSet? set)
        {
            foreach (var (sequence, candidate) in Escapes)
            {
                if (offset + sequence.Length > bytes.Length)
                {
                    continue;
                }
                var match = true;
                for (var k = 0; k < sequence.Length && match; k++)
                {
                    match = bytes[offset + k] == sequence[k];
                }
                if (match)
                {
                    set = candidate;
                    return sequence.Length;
                }
            }
            set = null;
            return 0;
        }

        public override string ToString() => Name;

        private static GraphicSet SingleByte(string name, int codePage)
        {
            var encoding = DicomCharacterSets.CodePage(codePage);
            return new GraphicSet(name, isG0: false, multiByte: false, encoding, (b, o, c) => encoding.GetString(b, o, c));
        }

        private static GraphicSet Euc(string name, int codePage)
        {
            var encoding = DicomCharacterSets.CodePage(codePage);
            return new GraphicSet(name, isG0: false, multiByte: true, null, (b, o, c) => encoding.GetString(b, o, c));
        }

        private static string DecodeLatin1(byte[] bytes, int offset, int count) => DicomCharacterSets.Latin1.GetString(bytes, offset, count);

        private static string DecodeKatakana(byte[] bytes, int offset, int count)
        {
            var chars = new char[count];
            for (var k = 0; k < count; k++)
            {
                var b = bytes[offset + k];
                // JIS X 0201 A1–DF are the half-width katakana U+FF61–U+FF9F.
                chars[k] = b is >= 0xA1 and <= 0xDF ? (char)(0xFF61 + (b - 0xA1)) : '\uFFFD';
            }
            return new string(chars);
        }

        /// <summary>JIS X 0208 in G0 as EUC-JP (both bytes with the high bit set), decoded by code page 20932.</summary>
        private static string DecodeJis0208(byte[] bytes, int offset, int count)
        {
            var euc = new byte[count];
            for (var k = 0; k < count; k++)
            {
                euc[k] = (byte)(bytes[offset + k] | 0x80);
            }
            return EucJp.Value.GetString(euc);
        }

        /// <summary>JIS X 0212 in G0: code page 20932 holds it as a high first byte and a low second byte.</summary>
        private static string DecodeJis0212(byte[] bytes, int offset, int count)
        {
            var euc = new byte[count];
            for (var k = 0; k < count; k++)
            {
                euc[k] = (k & 1) == 0 ? (byte)(bytes[offset + k] | 0x80) : (byte)(bytes[offset + k] & 0x7F);
            }
            return EucJp.Value.GetString(euc);
        }

        private static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text);
    }
}
