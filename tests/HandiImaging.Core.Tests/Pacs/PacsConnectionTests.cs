using System;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Core.Tests.Pacs
{
    public class PacsConnectionTests
    {
        [Fact]
        public void AE_titles_are_trimmed_and_may_have_sixteen_characters()
        {
            var c = new PacsConnection("pacs", 104, " SIXTEEN_CHARS_16 ", "HANDI");
            Assert.Equal("SIXTEEN_CHARS_16", c.CalledAeTitle);
        }

        [Theory]
        [InlineData("", "The called AE title is empty")]
        [InlineData("SEVENTEEN_CHARS17", "'SEVENTEEN_CHARS17' is 17 characters")]
        [InlineData("BACK\\SLASH", "contains '\\'")]
        [InlineData("TAB\tAE", "contains '\t'")]
        public void Bad_AE_titles_say_what_is_wrong(string title, string message)
        {
            var ex = Assert.Throws<ArgumentException>(() => new PacsConnection("pacs", 104, title, "HANDI"));
            Assert.Contains(message, ex.Message);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(65536)]
        public void The_port_must_be_a_TCP_port(int port) =>
            Assert.Throws<ArgumentOutOfRangeException>(() => new PacsConnection("pacs", port, "QR", "HANDI"));
    }
}
