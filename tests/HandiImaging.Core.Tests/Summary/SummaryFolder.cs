using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using CsvHelper;
using HandiImaging.Core.Summary;

namespace HandiImaging.Core.Tests.Summary
{
    /// <summary>A temporary session folder with the eight exports (header only until a test writes rows).</summary>
    internal sealed class SummaryFolder : IDisposable
    {
        public static readonly IReadOnlyDictionary<string, string> Headers = new Dictionary<string, string>
        {
            ["MR"] = "Subject,Date,MR ID,Scanner,Scans",
            ["CT"] = "Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans",
            ["PET"] = "Subject,Date,XNAT_PETSESSIONDATA ID,UID,Scans",
            ["CR"] = "Subject,Date,XNAT_CRSESSIONDATA ID,ID,Session",
            ["DX"] = "Subject,Date,XNAT_DXSESSIONDATA ID,UID,Scans",
            ["RF"] = "Subject,Date,XNAT_RFSESSIONDATA ID,ID,Session",
            ["SR"] = "Subject,Date,XNAT_SRSESSIONDATA ID,ID,Creator",
            ["XA"] = "Subject,Date,XNAT_XASESSIONDATA ID,ID,Creator",
        };

        public SummaryFolder()
        {
            Root = Path.Combine(Path.GetTempPath(), "handi-summary-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Root);
            foreach (var type in Headers.Keys) Sessions(type);
            References();
        }

        public string Root { get; }
        public string ReferencePath => Path.Combine(Root, "reference_dates.csv");
        public string FailurePath => Path.Combine(Root, "failures.csv");
        public string OutputPath => Path.Combine(Root, "out", "summary.csv");

        /// <summary>Writes <c>&lt;type&gt;.csv</c>: the real header, then the given CSV lines.</summary>
        public void Sessions(string type, params string[] lines) => Raw(type + ".csv", Headers[type] + "\r\n" + string.Concat(lines.Select(l => l + "\r\n")));

        public void References(params string[] lines) => Raw("reference_dates.csv", "Subject,Reference Date\r\n" + string.Concat(lines.Select(l => l + "\r\n")));

        public void Failures(string header, params string[] lines) => Raw("failures.csv", header + "\r\n" + string.Concat(lines.Select(l => l + "\r\n")));

        public void Raw(string file, string content) => File.WriteAllText(Path.Combine(Root, file), content, new UTF8Encoding(false));

        public XnatSummaryRequest Request(bool withFailures = false) =>
            new XnatSummaryRequest(Root, ReferencePath, OutputPath) { FailurePath = withFailures ? FailurePath : null };

        public (SummaryTable Table, XnatSummaryResult Result, List<SummaryWarning> Warnings) Merge(XnatSummaryRequest? request = null)
        {
            var warnings = new List<SummaryWarning>();
            var result = XnatSummaryMerger.Merge(request ?? Request(File.Exists(FailurePath)), warnings.Add);
            return (SummaryTable.Read(OutputPath), result, warnings);
        }

        public void Dispose()
        {
            try { Directory.Delete(Root, true); } catch (IOException) { }
        }
    }

    /// <summary>The written summary, read back with CsvHelper.</summary>
    internal sealed class SummaryTable
    {
        private SummaryTable(string[] header, List<string[]> rows)
        {
            Header = header;
            Rows = rows;
        }

        public string[] Header { get; }
        public List<string[]> Rows { get; }
        public IEnumerable<string> Subjects => Rows.Select(r => r[0]);

        public static SummaryTable Read(string path)
        {
            using var reader = new StreamReader(path);
            using var csv = new CsvParser(reader, CultureInfo.InvariantCulture);
            Assert.True(csv.Read(), "the summary has no header");
            var header = csv.Record!;
            var rows = new List<string[]>();
            while (csv.Read()) rows.Add(csv.Record!);
            return new SummaryTable(header, rows);
        }

        public string[] Row(string subject) => Rows.Single(r => r[0] == subject);

        public string Cell(string subject, string column)
        {
            var index = Array.IndexOf(Header, column);
            Assert.True(index >= 0, $"no column '{column}'");
            return Row(subject)[index];
        }

        /// <summary>The five cells of one slot: Date, Difference, ID, UID, Scans.</summary>
        public string[] Slot(string subject, string prefix, int slot) =>
            new[] { "Date", "Difference from Reference Date", "ID", "UID", "Scans" }.Select(c => Cell(subject, $"{prefix} {c} {slot}")).ToArray();

        public int Slots(string prefix) => Header.Count(h => h.StartsWith(prefix + " Date ", StringComparison.Ordinal));
    }
}
