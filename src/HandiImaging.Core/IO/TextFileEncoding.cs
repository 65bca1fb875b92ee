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
                    $"is {Name}, which cannot hold U+{((int)ex.CharUnknown).ToString("X4", System.Globalization.CultureInfo.InvariantCulture)}, a character being written; save the file as UTF-8 and run again", ex)
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

        /// <summary>
        /// Windows-1252 from the code-page provider the DICOM layer also uses: every byte maps to a character and
        /// back (the five unassigned bytes to the C1 controls of the same value, as Windows does); writing a
        /// character outside the set throws, so nothing is silently written as '?'.
        /// </summary>
        public static readonly Encoding Windows1252 = CodePage1252();

        private static Encoding CodePage1252()
        {
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
            return Encoding.GetEncoding(1252, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        }

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
            // reader itself is strict and fails naming the file and line rather than substituting characters.
            var probeText = Decode(Truncate(head, read), path, probeOnly: true);
            encoding = probeText;
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize);
            stream.Seek(probeText.Preamble.Length, SeekOrigin.Begin);
            return new StrictFileReader(new StreamReader(stream, probeText.Encoding, detectEncodingFromByteOrderMarks: false, bufferSize), path);
        }

        /// <summary>The 1-based line of the first byte of <paramref name="path"/> that is not UTF-8 (0 when all are).</summary>
        public static long LineOfFirstInvalidUtf8(string path)
        {
            var decoder = StrictUtf8.GetDecoder();
            var bytes = new byte[1 << 16];
            var chars = new char[bytes.Length + 4];
            long line = 1;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
            int read;
            while ((read = stream.Read(bytes, 0, bytes.Length)) > 0)
            {
                var good = read;
                try { decoder.GetChars(bytes, 0, read, chars, 0, flush: false); }
                // Index is where the bad sequence starts in this buffer (negative when it began in the previous one).
                catch (DecoderFallbackException ex) { good = Math.Max(0, Math.Min(ex.Index, read)); }
                for (var i = 0; i < good; i++) if (bytes[i] == (byte)'\n') line++;
                if (good < read) return line;
            }
            return 0;
        }

        /// <summary>
        /// A streamed file's reader that turns a decoding failure past the probed megabyte into an
        /// <see cref="InputFormatException"/> naming the file and the line of the first bad byte.
        /// </summary>
        private sealed class StrictFileReader : TextReader
        {
            private readonly StreamReader _inner;
            private readonly string _path;

            public StrictFileReader(StreamReader inner, string path)
            {
                _inner = inner;
                _path = path;
            }

            public override int Peek() => Guard(() => _inner.Peek());
            public override int Read() => Guard(() => _inner.Read());
            public override int Read(char[] buffer, int index, int count) => Guard(() => _inner.Read(buffer, index, count));
            public override string? ReadLine() => Guard(() => _inner.ReadLine());
            public override string ReadToEnd() => Guard(() => _inner.ReadToEnd());

            protected override void Dispose(bool disposing)
            {
                if (disposing) _inner.Dispose();
                base.Dispose(disposing);
            }

            private T Guard<T>(Func<T> read)
            {
                try { return read(); }
                catch (DecoderFallbackException ex)
                {
                    var line = LineOfFirstInvalidUtf8(_path);
                    throw new InputFormatException(_path, line > 0 ? line : (long?)null, null,
                        "is not valid UTF-8 past its first megabyte (part of it is in another encoding); save the whole file as UTF-8", ex) { Code = "InvalidEncoding" };
                }
            }
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
}
