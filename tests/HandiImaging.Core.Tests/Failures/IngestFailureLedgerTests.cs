using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Tests.Failures
{
    public sealed class IngestFailureLedgerTests : IDisposable
    {
        private static readonly DateTime Q1 = new DateTime(2024, 1, 15);
        private static readonly DateTime Q2 = new DateTime(2024, 4, 15);
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "handi-ledger-" + Guid.NewGuid().ToString("N"));

        public IngestFailureLedgerTests() => Directory.CreateDirectory(_dir);

        public void Dispose()
        {
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }

        private string LedgerPath => Path.Combine(_dir, "ledger.csv");

        private static IngestFailure F(string uid, string acc = "A1", string hosp = "H1", string subject = "9434765919",
            string date = "2020-01-02", string desc = "CT Neck, with \"contrast\"", string source = "f.txt:1") => new IngestFailure
        {
            Subject = subject,
            StudyDate = date,
            AccessionNumber = acc,
            StudyDescription = desc,
            StudyInstanceUid = uid,
            HospitalId = hosp,
            Source = source,
        };

        [Fact]
        public void AddCreatesTheLedgerWithItsColumnsInOrder()
        {
            var ledger = new IngestFailureLedger(LedgerPath);
            var change = ledger.Add(new[] { F("1.1"), F("1.2", acc: "0123", desc: "multi\nline, text") }, Q1);
            Assert.Equal(2, change.Added);
            Assert.Equal(2, change.Open);
            var text = File.ReadAllText(LedgerPath);
            Assert.StartsWith("Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn\r\n", text);
            Assert.Contains("9434765919,2020-01-02,A1,\"CT Neck, with \"\"contrast\"\"\",1.1,H1,2024-01-15,2024-01-15,1,f.txt:1,Open,\r\n", text);
            var rows = ledger.Read();
            Assert.Equal("0123", rows[1].AccessionNumber);
            Assert.Equal("multi\nline, text", rows[1].StudyDescription);
        }

        [Fact]
        public void RepeatUpdatesLastSeenOncePerRunAndNeverOverwritesValues()
        {
            var ledger = new IngestFailureLedger(LedgerPath);
            ledger.Add(new[] { F("1.1", subject: "NN_H1", desc: "", source: "q1.txt:3") }, Q1);
            // Seen twice in the second run (two files), with the NHS number now mapped and a description.
            var change = ledger.Add(new[]
            {
                F("1.1", subject: "9434765919", desc: "CT", source: "q2.txt:7"),
                F("1.1", subject: "9434765919", desc: "other", acc: "A9", source: "old.txt:1"),
            }, Q2);
            Assert.Equal(0, change.Added);
            Assert.Equal(1, change.Updated);
            var row = Assert.Single(ledger.Read());
            Assert.Equal(Q1, row.FirstSeen);
            Assert.Equal(Q2, row.LastSeen);
            Assert.Equal(2, row.TimesSeen);
            Assert.Equal("9434765919", row.Subject);   // NN_ upgraded once the map knows the patient
            Assert.Equal("CT", row.StudyDescription);  // a blank filled, then kept
            Assert.Equal("A1", row.AccessionNumber);   // never overwritten
            Assert.Equal("q2.txt:7", row.Source);
        }

        [Fact]
        public void RowsWithoutUidAreKeyedByAccessionAndHospitalAndGainTheUidLater()
        {
            var ledger = new IngestFailureLedger(LedgerPath);
            ledger.Add(new[] { F("", acc: "A1", hosp: "H1"), F("", acc: "A1", hosp: "H2"), F("", acc: "A2", hosp: "H1") }, Q1);
            Assert.Equal(3, ledger.Read().Count);
            var change = ledger.Add(new[] { F("1.9", acc: "A1", hosp: "H1") }, Q2);
            Assert.Equal(1, change.Updated);
            var rows = ledger.Read();
            Assert.Equal(3, rows.Count);
            Assert.Equal("1.9", rows[0].StudyInstanceUid);
            // From now on the UID is the key.
            ledger.Add(new[] { F("1.9", acc: "", hosp: "") }, Q2);
            Assert.Equal(3, ledger.Read().Count);
            // Same accession and hospital but a different UID is another study.
            ledger.Add(new[] { F("1.10", acc: "A1", hosp: "H1") }, Q2);
            Assert.Equal(4, ledger.Read().Count);
        }

        [Fact]
        public void PlaceholdersAndUnkeyableFailuresAreSkipped()
        {
            var ledger = new IngestFailureLedger(LedgerPath);
            var change = ledger.Add(new[] { F("1.1", date: "2099-01-01"), F("1.2", date: "20990101"), F("", acc: ""), F("1.3") }, Q1);
            Assert.Equal(3, change.Skipped);
            Assert.Equal("1.3", Assert.Single(ledger.Read()).StudyInstanceUid);
            Assert.NotNull(IngestFailureLedger.Problem(F("", acc: " ")));
        }

        [Fact]
        public void PlanAddWritesNothing()
        {
            var ledger = new IngestFailureLedger(LedgerPath);
            var plan = ledger.PlanAdd(new[] { F("1.1") }, Q1);
            Assert.True(plan.Planned);
            Assert.Equal(1, plan.Added);
            Assert.False(File.Exists(LedgerPath));
        }

        [Fact]
        public void ADeclinedConfirmationWritesNothingNotEvenTheFolder()
        {
            var deep = Path.Combine(_dir, "new", "ledger.csv");
            IngestFailureLedgerChange? seen = null;
            var change = new IngestFailureLedger(deep).Add(new[] { F("1.1"), F("1.2") }, Q1, confirm: c => { seen = c; return false; });
            Assert.True(change.Planned);
            Assert.Equal(2, seen!.Added);
            Assert.False(Directory.Exists(Path.GetDirectoryName(deep)));

            var ledger = new IngestFailureLedger(LedgerPath);
            ledger.Add(new[] { F("1.1") }, Q1);
            var before = Directory.GetFiles(_dir).OrderBy(f => f).Select(File.ReadAllBytes).ToList();
            Assert.True(ledger.Add(new[] { F("1.1"), F("1.3") }, Q2, confirm: c => { seen = c; return false; }).Planned);
            Assert.Equal((1, 1), (seen.Added, seen.Updated));
            Assert.True(ledger.Resolve(Sessions("1.1"), Q2, confirm: c => { seen = c; return false; }).Planned);
            Assert.Equal(1, seen.Resolved);
            Assert.Equal(before, Directory.GetFiles(_dir).OrderBy(f => f).Select(File.ReadAllBytes).ToList());
            // Nothing to change: not asked, nothing written.
            var asked = false;
            Assert.Equal(0, ledger.Resolve(Sessions("9.9"), Q2, confirm: c => asked = true).Resolved);
            Assert.False(asked);
        }

        private string SessionFolder(params (string Name, string Content)[] files)
        {
            var folder = Path.Combine(_dir, "sessions");
            Directory.CreateDirectory(folder);
            foreach (var (name, content) in files) File.WriteAllText(Path.Combine(folder, name), content);
            return folder;
        }

        [Fact]
        public void ResolveMatchesUidColumnsAndSessionLabelsButNotOtherIdColumns()
        {
            var ledger = new IngestFailureLedger(LedgerPath);
            ledger.Add(new[] { F("1.1", acc: "A1"), F("1.2", acc: "A2"), F("", acc: "A3"), F("1.4", acc: "A4"), F("1.5", acc: "A5") }, Q1);
            var folder = SessionFolder(
                ("CT.csv", "Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans\n9434765919,2020-01-02,X99,1.1,3\n"),
                ("rf.csv", "Subject,Date,XNAT_RFSESSIONDATA ID,ID,Session\n9434765919,2020-01-02,A3,77,1\n"),
                ("CR.csv", "Subject,Date,XNAT_CRSESSIONDATA ID,ID,Session\n9434765919,2020-01-02,Z1,A4,1\n"),
                ("MR.csv", "Subject,Date,MR ID,Scanner,Scans\n9434765919,2020-01-02,A2,1.5,4\n"),
                ("PET.csv", "Subject,Date,XNAT_PETSESSIONDATA ID,UID,Scans\n"));
            var sessions = XnatSessionIndex.Load(folder);
            Assert.Equal(new[] { "DX.csv", "SR.csv", "XA.csv" }, sessions.MissingFiles);
            var change = ledger.Resolve(sessions, Q2);
            Assert.Equal(3, change.Resolved);
            var rows = ledger.Read();
            Assert.Equal(5, rows.Count);
            Assert.Equal(new[] { "Resolved", "Resolved", "Resolved", "Open", "Open" }, rows.Select(r => r.Status.ToString()));
            Assert.Equal(new DateTime?[] { Q2, Q2, Q2, null, null }, rows.Select(r => r.ResolvedOn));
            Assert.Equal(2, change.Open);
        }

        [Fact]
        public void XnatsOwnListingResolvesFailuresTheExportsCannot()
        {
            // Over REST, column 3 of every export is XNAT's experiment ID and MR.csv has no UID: only the listing's
            // labels and accession numbers can resolve an MR failure without a UID, or one whose UID XNAT lacks.
            var ledger = new IngestFailureLedger(LedgerPath);
            ledger.Add(new[] { F("", acc: "A1"), F("9.9", acc: "A2"), F("1.3", acc: "A3"), F("", acc: "A4") }, Q1);
            var index = new XnatSessionIndex();
            index.Add(new StringReader("Subject,Date,MR ID,Scanner,Scans\n9434765919,2020-01-02,XNAT_E00001,Avanto,4\n"), "MR.csv");
            index.Add(new[]
            {
                new Core.Xnat.XnatSession { Id = "XNAT_E00001", Label = "A1", Type = "MR" },
                new Core.Xnat.XnatSession { Id = "XNAT_E00002", Label = "Other", AccessionNumber = "A2", Type = "MR" },
                new Core.Xnat.XnatSession { Id = "XNAT_E00003", Label = "X", StudyInstanceUid = "1.3", Type = "CT" },
            }, "XNAT project P");
            var change = ledger.Resolve(index, Q2);
            Assert.Equal(3, change.Resolved);
            Assert.Equal(new[] { "Resolved", "Resolved", "Resolved", "Open" }, ledger.Read().Select(r => r.Status.ToString()));
        }

        [Fact]
        public void AResolvedFailureReportedAgainStaysResolvedAndIsCounted()
        {
            var ledger = new IngestFailureLedger(LedgerPath);
            ledger.Add(new[] { F("1.1") }, Q1);
            ledger.Resolve(Sessions("1.1"), Q1);
            ledger.Add(new[] { F("1.1", source: "resent.txt:4") }, Q2);
            var row = Assert.Single(ledger.Read());
            Assert.Equal(IngestFailureStatus.Resolved, row.Status);
            Assert.Equal(Q1, row.ResolvedOn);
            Assert.Equal(Q2, row.LastSeen);
            Assert.Equal(2, row.TimesSeen);
            // Resolving again changes nothing and writes nothing.
            var before = File.ReadAllBytes(LedgerPath);
            var backup = File.ReadAllBytes(AtomicFile.BackupPath(LedgerPath));
            Assert.Equal(0, ledger.Resolve(Sessions("1.1"), Q2).Resolved);
            Assert.Equal(before, File.ReadAllBytes(LedgerPath));
            Assert.Equal(backup, File.ReadAllBytes(AtomicFile.BackupPath(LedgerPath)));
        }

        private XnatSessionIndex Sessions(params string[] uids)
        {
            var index = new XnatSessionIndex();
            index.Add(new StringReader("Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans\n" + string.Concat(uids.Select(u => $"S,2020-01-01,L{u},{u},1\n"))), "CT.csv");
            return index;
        }

        [Fact]
        public void NothingIsEverDeleted()
        {
            var ledger = new IngestFailureLedger(LedgerPath);
            var records = FailureTestData.Records(5, 300).Where(r => r.StudyDate != "2099-01-01")
                .Select((r, i) => F(r.StudyInstanceUid, r.AccessionNumber, r.HospitalId, "S", r.StudyDate, r.StudyDescription, "x:" + i)).ToList();
            ledger.Add(records.Take(200), Q1);
            var keysBefore = ledger.Read().Select(r => r.StudyInstanceUid + "|" + r.AccessionNumber + "|" + r.HospitalId).ToList();
            ledger.Resolve(Sessions(records.Take(50).Select(r => r.StudyInstanceUid).Where(u => u.Length > 0).ToArray()), Q2);
            ledger.Add(records.Skip(100), Q2);
            var keysAfter = ledger.Read().Select(r => r.StudyInstanceUid + "|" + r.AccessionNumber + "|" + r.HospitalId).ToList();
            Assert.Equal(keysBefore, keysAfter.Take(keysBefore.Count));
            Assert.True(keysAfter.Count > keysBefore.Count);
        }

        [Fact]
        public async Task ConcurrentWritersLoseNoRow()
        {
            const int writers = 6, runsEach = 15;
            var start = new ManualResetEventSlim();
            var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(() =>
            {
                start.Wait();
                var ledger = new IngestFailureLedger(LedgerPath);
                for (var run = 0; run < runsEach; run++)
                {
                    // Each run adds its own study and re-reports a shared one.
                    ledger.Add(new[] { F($"9.{w}.{run}", acc: $"A{w}-{run}"), F("shared", acc: "S") }, Q1);
                }
            })).ToArray();
            start.Set();
            await Task.WhenAll(tasks);
            var rows = new IngestFailureLedger(LedgerPath).Read();
            Assert.Equal(writers * runsEach + 1, rows.Count);
            Assert.Equal(writers * runsEach, rows.Single(r => r.StudyInstanceUid == "shared").TimesSeen);
            Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        }

        [Fact]
        public void ACrashBetweenTempWriteAndRenameLeavesTheOldLedgerIntact()
        {
            var ledger = new IngestFailureLedger(LedgerPath);
            ledger.Add(new[] { F("1.1"), F("1.2") }, Q1);
            var before = File.ReadAllBytes(LedgerPath);
            ledger.RowWritten = n => { if (n == 3) throw new IOException("simulated crash while writing"); };
            Assert.Throws<IOException>(() => ledger.Add(new[] { F("1.3"), F("1.4") }, Q2));
            Assert.Equal(before, File.ReadAllBytes(LedgerPath));
            Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories).Concat(Directory.GetFiles(_dir, ".*.tmp")));

            // A process killed before the rename leaves its temp file behind: readers and the next run ignore it.
            File.WriteAllText(Path.Combine(_dir, ".ledger.csv.deadbeef.tmp"), "Subject,half a ledg");
            ledger.RowWritten = null;
            Assert.Equal(2, ledger.Read().Count);
            Assert.Equal(1, ledger.Add(new[] { F("1.3") }, Q2).Added);
            Assert.Equal(3, ledger.Read().Count);
            Assert.Equal(before, File.ReadAllBytes(AtomicFile.BackupPath(LedgerPath)));
        }

        [Fact]
        public void ACancelledRunWritesNothing()
        {
            var ledger = new IngestFailureLedger(LedgerPath);
            ledger.Add(new[] { F("1.1") }, Q1);
            var before = File.ReadAllBytes(LedgerPath);
            using var cts = new CancellationTokenSource();
            cts.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => ledger.Add(new[] { F("1.2") }, Q2, cts.Token));
            Assert.Equal(before, File.ReadAllBytes(LedgerPath));
        }

        [Theory]
        [InlineData("Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn\r\nS,2020-01-01,A,D,1.1,H,2024-01-01,2024-01-01,two,f:1,Open,\r\n", 2, "TimesSeen")]
        [InlineData("Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn\r\nS,2020-01-01,A,D,1.1,H,2024-01-01,2024-01-01,1,f:1,Open,\r\nS,2020-01-01,A,D,1.2,H,12/31/2024,2024-01-01,1,f:1,Open,\r\n", 3, "FirstSeen")]
        [InlineData("Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn\r\nS,2020-01-01,A,\"multi\r\nline\",1.1,H,2024-01-01,2024-01-01,1,f:1,Closed,\r\n", 2, "Status")]
        [InlineData("Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn\r\nS,2020-01-01,A,D,1.1,H,2024-01-01\r\n", 2, "LastSeen")]
        [InlineData("Subject,StudyDate,AccessionNumber,StudyDescription\r\n", 1, "StudyInstanceUid")]
        [InlineData("Subject,Date,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn\r\n", 1, "StudyDate")]
        [InlineData("", 1, null)]
        [InlineData("Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn\r\nS,2020-01-01,A,D \"bad\" quote,1.1,H,2024-01-01,2024-01-01,1,f:1,Open,\r\n", 2, null)]
        public void ACorruptLedgerIsAClearErrorAndIsNeverOverwritten(string content, long line, string? field)
        {
            File.WriteAllText(LedgerPath, content);
            var ledger = new IngestFailureLedger(LedgerPath);
            var read = Assert.Throws<InputFormatException>(() => ledger.Read());
            Assert.Equal(LedgerPath, read.File);
            Assert.Equal(line, read.Line);
            Assert.Equal(field, read.Field);
            Assert.Throws<InputFormatException>(() => ledger.Add(new[] { F("9.9") }, Q2));
            Assert.Throws<InputFormatException>(() => ledger.Resolve(Sessions("1.1"), Q2));
            Assert.Equal(content, File.ReadAllText(LedgerPath));
            Assert.False(File.Exists(AtomicFile.BackupPath(LedgerPath)));
        }

        [Fact]
        public void WritingIsCultureInvariantByteForByte()
        {
            var records = FailureTestData.Records(8, 200).Where(r => r.StudyDate != "2099-01-01")
                .Select((r, i) => F(r.StudyInstanceUid, r.AccessionNumber, r.HospitalId, "S" + i, r.StudyDate, r.StudyDescription, "x:" + i)).ToList();
            var outputs = new List<byte[]>();
            foreach (var culture in new[] { "en-GB", "en-US", "de-DE" })
            {
                var path = Path.Combine(_dir, culture + ".csv");
                FailureTestData.InCulture(culture, () =>
                {
                    var ledger = new IngestFailureLedger(path);
                    ledger.Add(records, Q1);
                    ledger.Resolve(Sessions(records.Take(20).Select(r => r.StudyInstanceUid).Where(u => u.Length > 0).ToArray()), Q2);
                    ledger.Add(records.Take(10), Q2);
                });
                outputs.Add(File.ReadAllBytes(path));
            }
            Assert.Equal(outputs[0], outputs[1]);
            Assert.Equal(outputs[0], outputs[2]);
            Assert.Contains("2024-04-15", System.Text.Encoding.UTF8.GetString(outputs[0]));
        }

        [Fact]
        public void AWriterWaitsForTheLockAndTimesOutWithAClearError()
        {
            var ledger = new IngestFailureLedger(LedgerPath) { LockTimeout = TimeSpan.FromMilliseconds(300) };
            using (FileLock.Acquire(LedgerPath, TimeSpan.FromSeconds(1)))
            {
                var ex = Assert.Throws<TimeoutException>(() => ledger.Add(new[] { F("1.1") }, Q1));
                Assert.Contains(LedgerPath, ex.Message);
            }
            Assert.False(File.Exists(LedgerPath));
            Assert.Equal(1, ledger.Add(new[] { F("1.1") }, Q1).Added);
        }
    }
}
