using System;
using System.IO;
using System.Linq;
using HandiImaging.Core.Demo;
using HandiImaging.Core.Failures;

namespace HandiImaging.Core.Tests.Failures
{
    /// <summary>The demo quarter's failures, through the failure text, the parser and the ledger (data this area did not write).</summary>
    public sealed class DemoQuarterFailureTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "handi-quarter-failures-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }

        [Fact]
        public void TheQuartersFailuresSurviveTheTextAndMapToItsSubjects()
        {
            var quarter = DemoQuarter.Generate(_dir);
            var textPath = Path.Combine(_dir, "PACs-failures.txt");
            using (var writer = new StreamWriter(textPath)) DemoFailureText.Write(writer, quarter.Failures, 42);

            var reader = new IngestFailureReader(HospitalIdMap.Load(quarter.IdMapPath));
            var items = reader.ReadFile(textPath).ToList();
            Assert.DoesNotContain(items, i => i.Error != null);
            var failures = items.Select(i => i.Record!).ToList();
            var expected = FailureTestData.Expected(quarter.Failures);
            Assert.Equal(expected, failures.Select(f => new DemoFailure(f.HospitalId, f.AccessionNumber, f.StudyDate, f.StudyDescription, f.StudyInstanceUid)));
            Assert.Equal(failures.Select(f => quarter.SubjectFor(f.HospitalId)), failures.Select(f => f.Subject));
            Assert.Contains(quarter.Failures, f => f.StudyDate == "2099-01-01");

            // Failures are studies XNAT does not hold, so the quarter's own exports resolve none of them.
            var ledger = new IngestFailureLedger(Path.Combine(_dir, "ledger.csv"));
            Assert.Equal(expected.Count, ledger.Add(failures, new DateTime(2024, 10, 1)).Added);
            var change = ledger.Resolve(XnatSessionIndex.Load(quarter.SessionFolder), new DateTime(2024, 10, 2));
            Assert.Equal(0, change.Resolved);
            Assert.Equal(expected.Count, change.Open);
        }
    }
}
