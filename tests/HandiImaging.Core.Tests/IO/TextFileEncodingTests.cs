using System.IO;
using System.Linq;
using HandiImaging.Core.IO;
using HandiImaging.Core.Tests.Cohort;

namespace HandiImaging.Core.Tests.IO
{
    public class TextFileEncodingTests
    {
        [Fact]
        public void Every_byte_of_a_windows_1252_file_decodes_and_writes_back_unchanged()
        {
            using var folder = new TempFolder();
            // 0xE9 alone is not valid UTF-8, so the file is read as Windows-1252; every other byte value follows.
            var bytes = new byte[] { 0xE9 }.Concat(Enumerable.Range(1, 255).Select(b => (byte)b)).ToArray();
            var path = Path.Combine(folder.Path, "cp1252.csv");
            File.WriteAllBytes(path, bytes);

            var decoded = TextFileEncoding.Read(path);

            Assert.StartsWith("Windows-1252", decoded.Name);
            Assert.DoesNotContain('\uFFFD', decoded.Text);
            Assert.Equal(bytes, decoded.Encode(decoded.Text, path));
        }

        [Theory]
        [InlineData(0x80, '\u20AC')] // euro sign
        [InlineData(0x92, '\u2019')] // right single quotation mark, Excel's apostrophe
        [InlineData(0x81, '\u0081')] // unassigned: the C1 control of the same value, as Windows does
        [InlineData(0xE9, '\u00E9')]
        public void Windows_1252_maps_bytes_as_windows_does(int value, char expected)
        {
            Assert.Equal(expected.ToString(), TextFileEncoding.Windows1252.GetString(new[] { (byte)value }));
        }

        [Fact]
        public void A_character_windows_1252_cannot_hold_is_an_error_never_a_question_mark()
        {
            using var folder = new TempFolder();
            var path = Path.Combine(folder.Path, "cp1252.csv");
            File.WriteAllBytes(path, new byte[] { (byte)'a', 0xE9 });
            var decoded = TextFileEncoding.Read(path);

            var error = Assert.Throws<InputFormatException>(() => decoded.Encode("\u0141ukasz", path));
            Assert.Equal("EncodingCannotHoldText", error.Code);
        }
    }
}
