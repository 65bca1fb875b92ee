using System;
using System.Collections.Generic;
using System.Linq;
using HandiImaging.Core.Summary;

namespace HandiImaging.Core.Tests.Summary
{
    public sealed class ValueArenaTests
    {
        [Fact]
        public void Values_come_back_verbatim_and_missing_ones_as_null()
        {
            var arena = new ValueArena();
            var big = new string('x', 3 << 20);
            var handles = new[]
            {
                arena.Append("007", null, ""),
                arena.Append("Größe, \"quoted\"", "\U0001F600 emoji", " padded "),
                arena.Append(big, "after big", "1"),
                arena.Append("last", "é", "7.0"),
            };

            Assert.Equal(new string?[] { "007", null, null }, Enumerable.Range(0, 3).Select(i => arena.Get(handles[0], i)));
            Assert.Equal(new string?[] { "Größe, \"quoted\"", "\U0001F600 emoji", " padded " }, Enumerable.Range(0, 3).Select(i => arena.Get(handles[1], i)));
            Assert.Equal(new string?[] { big, "after big", "1" }, Enumerable.Range(0, 3).Select(i => arena.Get(handles[2], i)));
            Assert.Equal(new string?[] { "last", "é", "7.0" }, Enumerable.Range(0, 3).Select(i => arena.Get(handles[3], i)));
            Assert.True(arena.IsMissing(handles[0], 1));
            Assert.False(arena.IsMissing(handles[0], 0));
        }

        [Fact]
        public void Comparison_is_the_same_as_string_CompareOrdinal_including_surrogates_and_private_use_characters()
        {
            var values = new List<string?> { null, "", "A", "a", "B10", "B9", "b1", "0", "00", "é", "z", "\uE000", "\uFFFD", "\U0001F600", "\U00010000x", "ab", "a\uFFFF", "a\U0001F600" };
            var arena = new ValueArena();
            var handles = values.Select(v => arena.Append(v, null, null)).ToList();

            for (var i = 0; i < values.Count; i++)
                for (var j = 0; j < values.Count; j++)
                    Assert.True(Math.Sign(string.CompareOrdinal(values[i] ?? "", values[j] ?? "")) == Math.Sign(arena.CompareOrdinal(handles[i], handles[j], 0)),
                        $"'{values[i]}' vs '{values[j]}'");
        }
    }
}
