using System;
using System.IO;
using System.Text;

namespace HandiImaging.Core.IO
{
    /// <summary>
    /// A text file's bytes decoded with the encoding they were written in, and that encoding, so an update can
    /// write the file back the same way and leave every untouched byte as it was.
    /// </summary>
    public sealed class DecodedText
    {
        internal DecodedText(string text, Encoding encoding, byte[] preamble, string name)
        {
            Text = text;
            Encoding = encoding;
            Preamble = preamble;
            Name = name;
        }

        /// <summary>The text, without the byte-order mark.</summary>
        public string Text { get; }

        /// <summary>The encoding to write the file back with (its preamble is written separately).</summary>
        public Encoding Encoding { get; }

        /// <summary>The byte-order mark the file started with (empty when none).</summary>
        public byte[] Preamble { get; }

        /// <summary>How the encoding was recognised, for Verbose: e.g. "UTF-8 with BOM", "Windows-1252 (not valid UTF-8)".</summary>
        public string Name { get; }

        /// <summary>The bytes <paramref name="text"/> becomes in this file's encoding, preamble first.</summary>
        public byte[] Encode(string text, string path)
        {
            byte[] body;
            try { body = Encoding.GetBytes(text); }
            catch (EncoderFallbackException ex)
            {
                throw new InputFormatException(path, null, null,
                    $"is {Name}, which cannot hold a character being written ({ex.Message}); save the file as UTF-8 and run again", ex)
                { Code = "EncodingCannotHoldText" };
            }
            var bytes = new byte[Preamble.Length + body.Length];
            Buffer.BlockCopy(Preamble, 0, bytes, 0, Preamble.Length);
            Buffer.BlockCopy(body, 0, bytes, Preamble.Length, body.Length);
            return bytes;
        }
    }

    /// <summary>
    /// The one way every reader decodes a text file: UTF-8 with a BOM, UTF-16 LE/BE by their BOM; without a BOM,
    /// UTF-8 when the bytes are valid UTF-8, else Windows-1252 (what Excel's "CSV" saves on a Western Windows).
    /// Nothing is replaced by U+FFFD: every byte of every file decodes to something that encodes back to it.
    /// </summary>
    public static class TextFileEncoding
    {
        private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        private static readonly Encoding StrictUtf16Le = new UnicodeEncoding(false, false, throwOnInvalidBytes: true);
        private static readonly Encoding StrictUtf16Be = new UnicodeEncoding(true, false, throwOnInvalidBytes: true);

        /// <summary>Windows-1252 (every byte maps to a character and back; unassigned bytes to C1 controls as Windows does).</summary>
        public static readonly Encoding Windows1252 = new Windows1252Encoding();

        /// <summary>Reads and decodes <paramref name="path"/>; an unreadable file is an <see cref="InputFormatException"/>.</summary>
        public static DecodedText Read(string path)
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new InputFormatException(path, null, null, "cannot be read: " + ex.Message, ex) { Code = "FileUnreadable" };
            }
            return Decode(bytes, path);
        }

        /// <summary>Opens <paramref name="path"/> as a reader in its detected encoding (streamed; for large files).</summary>
        public static TextReader OpenReader(string path, out DecodedText encoding, int bufferSize = 1 << 16)
        {
            var head = new byte[1 << 20];
            int read;
            using (var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16))
                read = ReadFully(probe, head);
            // The first megabyte decides; a large file that is UTF-8 there but not later would be garbled, so the
            // reader itself is strict and fails naming the file rather than substituting characters.
            var probeText = Decode(Truncate(head, read), path, probeOnly: true);
            encoding = probeText;
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize);
            stream.Seek(probeText.Preamble.Length, SeekOrigin.Begin);
            return new StreamReader(stream, probeText.Encoding, detectEncodingFromByteOrderMarks: false, bufferSize);
        }

        private static int ReadFully(Stream stream, byte[] buffer)
        {
            var total = 0;
            int n;
            while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0) total += n;
            return total;
        }

        private static byte[] Truncate(byte[] bytes, int length)
        {
            if (length == bytes.Length) return bytes;
            var copy = new byte[length];
            Buffer.BlockCopy(bytes, 0, copy, 0, length);
            return copy;
        }

        /// <summary>Decodes bytes by the rule above; <paramref name="path"/> names the file in errors.</summary>
        public static DecodedText Decode(byte[] bytes, string path) => Decode(bytes, path, probeOnly: false);

        private static DecodedText Decode(byte[] bytes, string path, bool probeOnly)
        {
            if (StartsWith(bytes, 0xEF, 0xBB, 0xBF))
                return Strict(bytes, 3, StrictUtf8, new byte[] { 0xEF, 0xBB, 0xBF }, "UTF-8 with BOM", path, probeOnly);
            if (StartsWith(bytes, 0xFF, 0xFE))
                return Strict(bytes, 2, StrictUtf16Le, new byte[] { 0xFF, 0xFE }, "UTF-16 LE", path, probeOnly);
            if (StartsWith(bytes, 0xFE, 0xFF))
                return Strict(bytes, 2, StrictUtf16Be, new byte[] { 0xFE, 0xFF }, "UTF-16 BE", path, probeOnly);
            var utf8 = TryUtf8(bytes, probeOnly);
            if (utf8 != null) return new DecodedText(utf8, StrictUtf8, new byte[0], "UTF-8");
            return new DecodedText(probeOnly ? "" : Windows1252.GetString(bytes), Windows1252, new byte[0], "Windows-1252 (not valid UTF-8)");
        }

        private static DecodedText Strict(byte[] bytes, int skip, Encoding encoding, byte[] preamble, string name, string path, bool probeOnly)
        {
            if (probeOnly) return new DecodedText("", encoding, preamble, name);
            try { return new DecodedText(encoding.GetString(bytes, skip, bytes.Length - skip), encoding, preamble, name); }
            catch (DecoderFallbackException ex)
            {
                throw new InputFormatException(path, null, null, $"starts with the {name} byte-order mark but is not valid {name} text", ex) { Code = "InvalidEncoding" };
            }
        }

        private static string? TryUtf8(byte[] bytes, bool probeOnly)
        {
            var length = bytes.Length;
            // A probe may end inside a multi-byte sequence: ignore up to three trailing continuation bytes.
            if (probeOnly)
            {
                var back = 0;
                while (back < 3 && length - back - 1 >= 0 && (bytes[length - back - 1] & 0xC0) == 0x80) back++;
                if (length - back - 1 >= 0 && bytes[length - back - 1] >= 0xC0) length -= back + 1;
            }
            try { return StrictUtf8.GetString(bytes, 0, length); }
            catch (DecoderFallbackException) { return null; }
        }

        private static bool StartsWith(byte[] bytes, params byte[] prefix)
        {
            if (bytes.Length < prefix.Length) return false;
            for (var i = 0; i < prefix.Length; i++) if (bytes[i] != prefix[i]) return false;
            return true;
        }
    }

    /// <summary>
    /// Windows-1252 without depending on code-page providers (absent on .NET Core unless registered): 0x80–0x9F
    /// map to the typographic characters Windows puts there, the five unassigned bytes to the C1 controls of the
    /// same value (as Windows' MultiByteToWideChar does), everything else to the same code point. Encoding a
    /// character outside the set throws, so nothing is silently written as '?'.
    /// </summary>
    internal sealed class Windows1252Encoding : Encoding
    {
        private static readonly char[] High =
        {
            '\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021', '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
            '\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014', '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178',
        };

        public override string EncodingName => "Windows-1252";
        public override string WebName => "windows-1252";
        public override int CodePage => 1252;

        public override int GetByteCount(char[] chars, int index, int count) => count;

        public override int GetBytes(char[] chars, int charIndex, int charCount, byte[] bytes, int byteIndex)
        {
            for (var i = 0; i < charCount; i++) bytes[byteIndex + i] = ToByte(chars[charIndex + i], charIndex + i);
            return charCount;
        }

        private static byte ToByte(char c, int index)
        {
            if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) return (byte)c;
            for (var b = 0; b < High.Length; b++) if (High[b] == c) return (byte)(0x80 + b);
            throw new EncoderFallbackException($"U+{((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture)} at position {index.ToString(System.Globalization.CultureInfo.InvariantCulture)} has no Windows-1252 byte");
        }

        public override int GetCharCount(byte[] bytes, int index, int count) => count;

        public override int GetChars(byte[] bytes, int byteIndex, int byteCount, char[] chars, int charIndex)
        {
            for (var i = 0; i < byteCount; i++)
            {
                var b = bytes[byteIndex + i];
                chars[charIndex + i] = b >= 0x80 && b < 0xA0 ? High[b - 0x80] : (char)b;
            }
            return byteCount;
        }

        public override int GetMaxByteCount(int charCount) => charCount;
        public override int GetMaxCharCount(int byteCount) => byteCount;
    }
}
