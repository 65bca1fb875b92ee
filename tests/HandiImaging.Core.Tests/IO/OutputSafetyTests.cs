using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.Failures;
using HandiImaging.Core.IO;
using HandiImaging.Core.Rules;
using HandiImaging.Core.Tests.Cohort;
using HandiImaging.Core.Tests.Rules;

namespace HandiImaging.Core.Tests.IO
{
    /// <summary>Nothing an admin owns is lost: outputs never replace inputs or kept files, and replacing keeps what the file was.</summary>
    public class OutputGuardTests
    {
        private const string Cohort = "HospitalId,NhsNumber,Status,LastQueried,ReferenceDate\r\nH1,,New,,\r\n";
        private const string Ledger = "Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn\r\n";
        private const string RulesCsv = "Description,Decision,DecidedBy,DecidedOn,Note\r\nCT Neck,Include,Dr A,2024-01-05,\r\n";
        private const string ReviewCsv = "Description,Count,Modalities,FirstDate,LastDate,ExampleAccession,Decision,Note\r\nMR Orbits,3,MR,2024-01-01,2024-02-01,A1,,\r\n";
        private const string Summary = "Subject,Reference Date,CT_1_Date\r\n9434765919,2024-01-01,null\r\n";

        /// <summary>A case: the files in the folder, the output, the inputs, the kinds the writer owns; and the error it must give (null: allowed).</summary>
        public sealed record Case(Func<TempFolder, (string Output, (string? Path, string Role)[] Inputs)> Arrange, ProtectedFileKind[] Own, string? Says)
        {
            public override string ToString() => Says ?? "allowed";
        }

        private static string Write(TempFolder f, string name, string text, Encoding? encoding = null)
        {
            var path = Path.Combine(f.Path, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text, encoding ?? new UTF8Encoding(false));
            return path;
        }

        private static readonly ProtectedFileKind[] None = new ProtectedFileKind[0];

        public static readonly Dictionary<string, Case> Cases = new Dictionary<string, Case>
        {
            ["output is an input, same spelling"] = new Case(f => { var r = Write(f, "reference_dates.csv", "Subject,Reference Date\r\n"); return (r, new[] { ((string?)r, "-ReferenceDatePath") }); }, None, "is the same file as -ReferenceDatePath"),
            ["output is an input, spelled through .."] = new Case(f => { var r = Write(f, "CT.csv", "a,b\r\n"); Directory.CreateDirectory(Path.Combine(f.Path, "sub")); return (Path.Combine(f.Path, "sub", "..", "CT.csv"), new[] { ((string?)r, "-SessionPath's CT.csv") }); }, None, "is the same file as -SessionPath's CT.csv"),
            ["output is a symbolic link to an input"] = new Case(f => { var r = Write(f, "failures.csv", "a,b\r\n"); var link = Path.Combine(f.Path, "out.csv"); File.CreateSymbolicLink(link, r); return (link, new[] { ((string?)r, "-FailurePath") }); }, None, "is the same file as -FailurePath"),
            ["input is a symbolic link to the output"] = new Case(f => { var r = Write(f, "ledger.csv", "a,b\r\n"); var link = Path.Combine(f.Path, "in.csv"); File.CreateSymbolicLink(link, r); return (r, new[] { ((string?)link, "-FailurePath") }); }, None, "is the same file as -FailurePath"),
            ["output is a link to a link to an input"] = new Case(f => { var r = Write(f, "ref.csv", "a,b\r\n"); var l1 = Path.Combine(f.Path, "l1.csv"); File.CreateSymbolicLink(l1, r); var l2 = Path.Combine(f.Path, "l2.csv"); File.CreateSymbolicLink(l2, l1); return (l2, new[] { ((string?)r, "-ReferenceDatePath") }); }, None, "is the same file as -ReferenceDatePath"),
            ["output is a cohort not given as input"] = new Case(f => (Write(f, "cohort.csv", Cohort), new (string?, string)[0]), None, "is a cohort file"),
            ["output is a cohort with spaced headers"] = new Case(f => (Write(f, "patients.csv", "Hospital ID,NHS No,Status,Last Queried\r\n"), new (string?, string)[0]), None, "is a cohort file"),
            ["output is a cohort with a BOM"] = new Case(f => (Write(f, "cohort.csv", Cohort, new UTF8Encoding(true)), new (string?, string)[0]), None, "is a cohort file"),
            ["output is a cohort saved as UTF-16"] = new Case(f => (Write(f, "cohort.csv", Cohort, Encoding.Unicode), new (string?, string)[0]), None, "is a cohort file"),
            ["output is a cohort keyed by MRN"] = new Case(f => (Write(f, "c.txt", "MRN,Status,LastQueried\r\n"), new (string?, string)[0]), None, "is a cohort file"),
            ["output is the failure ledger"] = new Case(f => (Write(f, "failure-ledger.csv", Ledger), new (string?, string)[0]), None, "is the failure ledger"),
            ["output is a rules CSV"] = new Case(f => (Write(f, "rules.csv", RulesCsv), new (string?, string)[0]), None, "is a rules file"),
            ["output is the rules workbook"] = new Case(f => { var p = Path.Combine(f.Path, "rules.xlsx"); RawWorkbook.Rules().Save(p); return (p, new (string?, string)[0]); }, None, "is the clinicians' rules workbook"),
            ["ledger writer on a cohort"] = new Case(f => (Write(f, "ledger.csv", Cohort), new (string?, string)[0]), new[] { ProtectedFileKind.FailureLedger }, "is a cohort file"),
            ["rules writer on the ledger"] = new Case(f => (Write(f, "rules.csv", Ledger), new (string?, string)[0]), new[] { ProtectedFileKind.RulesCsv, ProtectedFileKind.RulesWorkbook }, "is the failure ledger"),
            ["rules writer on its own review"] = new Case(f => { var p = Write(f, "rules.csv", RulesCsv); return (p, new[] { ((string?)p, "-ReviewPath") }); }, new[] { ProtectedFileKind.RulesCsv }, "is the same file as -ReviewPath"),
            ["allowed: the writer's own kind"] = new Case(f => (Write(f, "cohort.csv", Cohort), new (string?, string)[0]), new[] { ProtectedFileKind.Cohort }, null),
            ["allowed: a previous review"] = new Case(f => (Write(f, "review.csv", ReviewCsv), new (string?, string)[0]), None, null),
            ["allowed: a previous summary"] = new Case(f => (Write(f, "summary.csv", Summary), new (string?, string)[0]), None, null),
            ["allowed: a new file beside the inputs"] = new Case(f => { var r = Write(f, "reference_dates.csv", "a\r\n"); return (Path.Combine(f.Path, "summary.csv"), new[] { ((string?)r, "-ReferenceDatePath") }); }, None, null),
            ["allowed: a file with the input's name in another folder"] = new Case(f => { var r = Write(f, "in/CT.csv", "a\r\n"); return (Write(f, "out/CT.csv", "a\r\n"), new[] { ((string?)r, "-SessionPath's CT.csv") }); }, None, null),
        };

        public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

        private static Dictionary<string, string> Snapshot(string folder) =>
            Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories)
                .ToDictionary(p => p, p => File.Exists(p) ? Convert.ToBase64String(File.ReadAllBytes(p)) : "<dir>");

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void An_output_is_refused_when_it_would_destroy_an_input_or_a_kept_file(string name)
        {
            var c = Cases[name];
            using var folder = new TempFolder();
            var (output, inputs) = c.Arrange(folder);
            var before = Snapshot(folder.Path);
            if (c.Says is null)
            {
                OutputGuard.Check(output, "-OutputPath", inputs, c.Own);
            }
            else
            {
                var ex = Assert.Throws<OutputOverwritesInputException>(() => OutputGuard.Check(output, "-OutputPath", inputs, c.Own));
                Assert.StartsWith("-OutputPath " + output + " ", ex.Message);
                Assert.Contains(c.Says, ex.Message);
                Assert.Contains("Nothing was written", ex.Message);
                Assert.Equal(output, ex.OutputPath);
            }
            Assert.Equal(before, Snapshot(folder.Path));
        }
    }

    public class AtomicReplaceTests
    {
        [Theory]
        [InlineData(0x180)] // 600: the ledger an admin keeps private
        [InlineData(0x1A0)] // 640
        [InlineData(0x1ED)] // 755
        [InlineData(0x1A4)] // 644
        [InlineData(0x190)] // 620
        public void A_replaced_file_keeps_its_permission_bits_and_so_does_its_backup(int mode)
        {
            using var folder = new TempFolder();
            var path = folder.File("ledger.csv", "old");
            File.SetUnixFileMode(path, (UnixFileMode)mode);
            AtomicFile.WriteText(path, w => w.Write("new"));
            Assert.Equal("new", File.ReadAllText(path));
            Assert.Equal((UnixFileMode)mode, File.GetUnixFileMode(path));
            Assert.Equal((UnixFileMode)mode, File.GetUnixFileMode(AtomicFile.BackupPath(path)));
        }

        [Fact]
        public void A_replaced_file_keeps_its_owner_where_the_user_may_give_it()
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", "old");
            var mine = UnixFile.Stat(path)!.Value;
            // As root (CI) the file is given to another user first; otherwise it stays the runner's own.
            UnixFile.Apply(path, new UnixFile.Status(0x180, 4321, 4321));
            var original = UnixFile.Stat(path)!.Value;
            AtomicFile.WriteText(path, w => w.Write("new"));
            var now = UnixFile.Stat(path)!.Value;
            Assert.Equal((original.Uid, original.Gid, 0x180), (now.Uid, now.Gid, now.Mode));
            Assert.True(original.Uid == 4321 || original.Uid == mine.Uid);
        }

        [Theory]
        [InlineData(0x124)] // 444
        [InlineData(0x100)] // 400
        [InlineData(0x000)] // 000
        public void A_read_only_target_is_refused_and_left_as_it_was(int mode)
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", "old");
            File.WriteAllText(AtomicFile.BackupPath(path), "older");
            File.SetUnixFileMode(path, (UnixFileMode)mode);
            var ex = Assert.Throws<UnauthorizedAccessException>(() => AtomicFile.WriteText(path, w => w.Write("new")));
            Assert.Contains("is read-only; nothing was written", ex.Message);
            Assert.Contains(path, ex.Message);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.Equal("old", File.ReadAllText(path));
            Assert.Equal("older", File.ReadAllText(AtomicFile.BackupPath(path)));
            Assert.Equal(new[] { "cohort.csv", "cohort.csv.bak" }, Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void A_symbolic_link_is_written_through_and_stays_a_link()
        {
            using var folder = new TempFolder();
            Directory.CreateDirectory(Path.Combine(folder.Path, "real"));
            var target = folder.File("real/ledger.csv", "old");
            var link = Path.Combine(folder.Path, "ledger.csv");
            File.CreateSymbolicLink(link, target);
            AtomicFile.WriteText(link, w => w.Write("new"));
            Assert.Equal(target, new FileInfo(link).LinkTarget);
            Assert.Equal("new", File.ReadAllText(target));
            Assert.Equal("old", File.ReadAllText(AtomicFile.BackupPath(target)));
            Assert.False(File.Exists(AtomicFile.BackupPath(link)));
        }

        [Fact]
        public void A_chain_of_links_is_followed_to_the_file()
        {
            using var folder = new TempFolder();
            var target = folder.File("cohort-2024.csv", "old");
            var first = Path.Combine(folder.Path, "current.csv");
            File.CreateSymbolicLink(first, target);
            var second = Path.Combine(folder.Path, "cohort.csv");
            File.CreateSymbolicLink(second, first);
            AtomicFile.WriteText(second, w => w.Write("new"));
            Assert.Equal(first, new FileInfo(second).LinkTarget);
            Assert.Equal(target, new FileInfo(first).LinkTarget);
            Assert.Equal("new", File.ReadAllText(target));
        }

        [Fact]
        public void A_swap_that_fails_keeps_the_target_and_the_previous_backup()
        {
            using var folder = new TempFolder();
            var path = folder.File("ledger.csv", "current");
            File.WriteAllText(AtomicFile.BackupPath(path), "previous");
            // The finished temp file vanishes before the swap (another process, a full disk): the rename fails.
            Assert.ThrowsAny<IOException>(() => AtomicFile.Commit(Path.Combine(folder.Path, ".ledger.csv.gone.tmp"), path, keepBackup: true));
            Assert.Equal("current", File.ReadAllText(path));
            Assert.Equal("previous", File.ReadAllText(AtomicFile.BackupPath(path)));
            Assert.Equal(new[] { "ledger.csv", "ledger.csv.bak" }, Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void A_write_that_throws_keeps_the_previous_backup()
        {
            using var folder = new TempFolder();
            var path = folder.File("ledger.csv", "current");
            File.WriteAllText(AtomicFile.BackupPath(path), "previous");
            Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteText(path, w => throw new InvalidOperationException("disk full")));
            Assert.Equal("current", File.ReadAllText(path));
            Assert.Equal("previous", File.ReadAllText(AtomicFile.BackupPath(path)));
        }

        [Fact]
        public void Two_writes_keep_the_latest_previous_version_as_the_backup()
        {
            using var folder = new TempFolder();
            var path = folder.File("ledger.csv", "v1");
            AtomicFile.WriteText(path, w => w.Write("v2"));
            AtomicFile.WriteText(path, w => w.Write("v3"));
            Assert.Equal("v3", File.ReadAllText(path));
            Assert.Equal("v2", File.ReadAllText(AtomicFile.BackupPath(path)));
            Assert.Equal(new[] { "ledger.csv", "ledger.csv.bak" }, Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void A_folder_where_the_file_should_be_is_refused()
        {
            using var folder = new TempFolder();
            var path = Path.Combine(folder.Path, "summary.csv");
            Directory.CreateDirectory(path);
            var ex = Assert.ThrowsAny<IOException>(() => AtomicFile.WriteText(path, w => w.Write("x")));
            Assert.Contains("is a folder, not a file", ex.Message);
            Assert.Empty(Directory.EnumerateFileSystemEntries(path));
        }
    }

    public class LockAndDeclineTests
    {
        private const string Cohort = "HospitalId,NhsNumber,Status,LastQueried,ReferenceDate\r\nH1,,New,,\r\n";

        [Fact]
        public void The_lock_file_lives_in_a_hidden_folder_so_the_folder_holds_only_the_files()
        {
            using var folder = new TempFolder();
            var path = folder.File("cohort.csv", Cohort);
            CohortFile.Update(path, new[] { "H1" }, new DateTime(2025, 1, 6));
            Assert.Equal(new[] { ".handiimaging", "cohort.csv", "cohort.csv.bak" }, Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
            Assert.Equal(new[] { "cohort.csv.lock" }, Directory.EnumerateFileSystemEntries(Path.Combine(folder.Path, ".handiimaging")).Select(Path.GetFileName));
            Assert.Equal(Path.Combine(folder.Path, ".handiimaging", "cohort.csv.lock"), FileLock.LockPathOf(path));
        }

        [Fact]
        public void A_lock_on_a_file_in_a_missing_folder_creates_nothing()
        {
            using var folder = new TempFolder();
            var path = Path.Combine(folder.Path, "new", "rules.csv");
            Assert.Throws<DirectoryNotFoundException>(() => FileLock.Acquire(path));
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
        }

        private static readonly IngestFailure[] Failure = { new IngestFailure { Subject = "9434765919", StudyDate = "2024-01-02", AccessionNumber = "A1", StudyInstanceUid = "1.2.3" } };
        private static readonly IngestFailure[] Another = { new IngestFailure { Subject = "9434765919", StudyDate = "2024-01-03", AccessionNumber = "A2", StudyInstanceUid = "1.2.4" } };
        private const string Review = "Description,Count,Decision\r\nMR Orbits,3,Include\r\n";
        private const string Ledger = "Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn\r\n";

        /// <summary>Each case arranges its files and returns a write declined at its confirmation (what -WhatIf does).</summary>
        public static readonly Dictionary<string, Func<TempFolder, Action>> Declined = new Dictionary<string, Func<TempFolder, Action>>
        {
            ["Update-Cohort"] = f =>
            {
                var path = f.File("cohort.csv", Cohort);
                return () => CohortFile.Update(path, new[] { "H1" }, new DateTime(2025, 1, 6), _ => false);
            },
            ["Update-StudyRule, rules CSV"] = f =>
            {
                var rules = f.File("rules.csv", "Description,Decision,DecidedBy,DecidedOn,Note\r\n");
                var review = f.File("review.csv", Review);
                return () => StudyRuleUpdater.Update(rules, review, "Dr B", new DateTime(2025, 1, 6), _ => false);
            },
            ["Update-StudyRule, new rules CSV in a new folder"] = f =>
            {
                var review = f.File("review.csv", Review);
                return () => StudyRuleUpdater.Update(Path.Combine(f.Path, "new", "rules.csv"), review, "Dr B", new DateTime(2025, 1, 6), _ => false);
            },
            ["Update-StudyRule, rules workbook"] = f =>
            {
                var rules = Path.Combine(f.Path, "rules.xlsx");
                RawWorkbook.Rules().Save(rules);
                var review = f.File("review.csv", Review);
                return () => StudyRuleUpdater.Update(rules, review, "Dr B", new DateTime(2025, 1, 6), _ => false);
            },
            ["Add-IngestFailure, existing ledger"] = f =>
            {
                var path = f.File("ledger.csv", Ledger);
                return () => new IngestFailureLedger(path).Add(Another, new DateTime(2025, 1, 6), default, _ => false);
            },
            ["Add-IngestFailure, new ledger in a new folder"] = f =>
                () => new IngestFailureLedger(Path.Combine(f.Path, "new", "ledger.csv")).Add(Failure, new DateTime(2025, 1, 6), default, _ => false),
            ["Update-IngestFailure"] = f =>
            {
                var path = f.File("ledger.csv", Ledger + "9434765919,2024-01-02,A1,CT Neck,1.2.3,H1,2025-01-06,2025-01-06,1,x:1,Open,\r\n");
                Directory.CreateDirectory(Path.Combine(f.Path, "export"));
                File.WriteAllText(Path.Combine(f.Path, "export", "CT.csv"), "Subject,Date,ID,UID,Scans\r\n9434765919,2024-01-02,A1,1.2.3,4\r\n");
                return () => new IngestFailureLedger(path).Resolve(XnatSessionIndex.Load(Path.Combine(f.Path, "export")), new DateTime(2025, 1, 6), default, _ => false);
            },
        };

        public static IEnumerable<object[]> DeclinedNames => Declined.Keys.Select(k => new object[] { k });

        private static Dictionary<string, string> Snapshot(string folder) =>
            Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories)
                .ToDictionary(p => Path.GetRelativePath(folder, p), p => File.Exists(p) ? Convert.ToBase64String(File.ReadAllBytes(p)) : "<dir>");

        [Theory]
        [MemberData(nameof(DeclinedNames))]
        public void A_declined_write_creates_nothing_not_even_a_lock(string name)
        {
            using var folder = new TempFolder();
            var declined = Declined[name](folder);
            var before = Snapshot(folder.Path);
            declined();
            Assert.Equal(before, Snapshot(folder.Path));
        }
    }
}
