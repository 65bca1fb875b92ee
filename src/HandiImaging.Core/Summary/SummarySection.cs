using System.Collections.Generic;
using System.Linq;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Core.Summary
{
    /// <summary>
    /// One block of slots in the master summary: an XNAT session type read from <c>&lt;Name&gt;.csv</c>, or the
    /// failures. The order of <see cref="All"/> is the column order the data warehouse ingests.
    /// </summary>
    public sealed class SummarySection
    {
        private SummarySection(int index, string name, string columnPrefix, string? fileName)
        {
            Index = index;
            Name = name;
            ColumnPrefix = columnPrefix;
            FileName = fileName;
        }

        /// <summary>Position in the output (0 = CT … 8 = failures).</summary>
        public int Index { get; }

        /// <summary>Session type (<c>CT</c>, <c>MR</c>, …) or <c>Failures</c>.</summary>
        public string Name { get; }

        /// <summary>What the section's columns start with: the session type, or <c>PACs-not-ingested</c>.</summary>
        public string ColumnPrefix { get; }

        /// <summary>The session export's file name in the session folder; null for the failures.</summary>
        public string? FileName { get; }

        public bool IsFailures => FileName is null;

        public override string ToString() => Name;

        /// <summary>The five column names of slot <paramref name="slot"/> (1-based), in output order.</summary>
        public IEnumerable<string> SlotColumns(int slot)
        {
            var i = slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
            yield return $"{ColumnPrefix} Date {i}";
            yield return $"{ColumnPrefix} Difference from Reference Date {i}";
            yield return $"{ColumnPrefix} ID {i}";
            yield return $"{ColumnPrefix} UID {i}";
            yield return $"{ColumnPrefix} Scans {i}";
        }

        public static readonly SummarySection Failures = new SummarySection(XnatSessionExports.Types.Count, "Failures", "PACs-not-ingested", null);

        /// <summary>The eight XNAT session types in output order.</summary>
        public static readonly IReadOnlyList<SummarySection> SessionTypes =
            XnatSessionExports.Types.Select((type, i) => new SummarySection(i, type, type, type + ".csv")).ToList();

        /// <summary>Every section in output order: the eight session types, then the failures.</summary>
        public static readonly IReadOnlyList<SummarySection> All = new List<SummarySection>(SessionTypes) { Failures };

        /// <summary>Number of columns per slot.</summary>
        public const int ColumnsPerSlot = 5;

        /// <summary>Every section has at least this many slots, even when nobody has a session of that type.</summary>
        public const int MinimumSlots = 5;
    }
}
