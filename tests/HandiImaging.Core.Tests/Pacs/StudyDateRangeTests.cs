using System;
using System.Collections.Generic;
using System.Linq;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Core.Tests.Pacs
{
    public class StudyDateRangeTests
    {
        private static readonly DateTime Earliest = new DateTime(1990, 1, 1);
        private static readonly DateTime Latest = new DateTime(2026, 11, 25);

        [Theory]
        [InlineData("20240101-20241231", "20240101-20241231")]
        [InlineData("-20231231", "-20231231")]
        [InlineData("20240601-", "20240601-")]
        [InlineData("20240601", "20240601")]
        [InlineData("20240601-20240601", "20240601")]
        [InlineData("", "")]
        [InlineData(" 20240101 - 20240102 ", "20240101-20240102")]
        public void Parses_and_prints_the_DICOM_form(string text, string dicom) =>
            Assert.Equal(dicom, StudyDateRange.Parse(text).ToDicom());

        [Theory]
        [InlineData("2024-01-01")]
        [InlineData("01/02/2024")]
        [InlineData("-")]
        [InlineData("20241301")]
        [InlineData("20240102-20240101")]
        public void Rejects_what_is_not_a_DICOM_range(string text) =>
            Assert.ThrowsAny<Exception>(() => StudyDateRange.Parse(text));

        public static IEnumerable<object[]> Ranges() => new[]
        {
            new object[] { "20240101-20241231" }, new object[] { "-20231231" }, new object[] { "20240601-" },
            new object[] { "" }, new object[] { "20240101-20240102" }, new object[] { "19950505-" }, new object[] { "-19900103" },
        };

        [Theory]
        [MemberData(nameof(Ranges))]
        public void Splitting_to_single_days_covers_every_day_exactly_once(string text)
        {
            // Split everything splittable; the leaves, in order, must tile the original range with no gap or overlap.
            var original = StudyDateRange.Parse(text);
            var leaves = new List<StudyDateRange>();
            var pending = new Stack<StudyDateRange>();
            pending.Push(original);
            while (pending.Count > 0)
            {
                Assert.True(leaves.Count < 100_000, "splitting did not terminate");
                var r = pending.Pop();
                if (r.CanSplit(Earliest, Latest)) foreach (var part in r.Split(Earliest, Latest)) pending.Push(part);
                else leaves.Add(r);
            }
            leaves.Sort((a, b) => (a.From ?? DateTime.MinValue).CompareTo(b.From ?? DateTime.MinValue));
            Assert.Equal(original.From, leaves[0].From);
            Assert.Equal(original.To, leaves[leaves.Count - 1].To);
            for (var i = 1; i < leaves.Count; i++)
                Assert.Equal(leaves[i - 1].To!.Value.AddDays(1), leaves[i].From);
            // Inside the bounds, every leaf is a single day.
            Assert.All(leaves.Where(l => l.From >= Earliest && l.To <= Latest), l => Assert.True(l.IsSingleDay));
        }

        [Fact]
        public void Open_ends_outside_the_bounds_are_not_split()
        {
            Assert.False(StudyDateRange.Parse("-19891231").CanSplit(Earliest, Latest));
            Assert.False(StudyDateRange.Parse("20261126-").CanSplit(Earliest, Latest));
            Assert.False(StudyDateRange.Parse("20240101").CanSplit(Earliest, Latest));
            Assert.True(StudyDateRange.Parse("-19900101").CanSplit(Earliest, Latest));
        }
    }
}
