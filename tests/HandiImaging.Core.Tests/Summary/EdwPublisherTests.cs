using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using HandiImaging.Core.IO;
using HandiImaging.Core.Summary;
using HandiImaging.Core.Tests.Cohort;

namespace HandiImaging.Core.Tests.Summary
{
    public class EdwPublisherTests
    {
        private static readonly DateTime Q1 = new DateTime(2025, 1, 6, 10, 15, 0, DateTimeKind.Utc);

        private sealed class Setup : IDisposable
        {
            private readonly TempFolder _root = new TempFolder();

            public Setup()
            {
                Directory.CreateDirectory(RunFolder);
                Directory.CreateDirectory(LockFolder);
            }

            public string RunFolder => Path.Combine(_root.Path, "run");
            public string Drop => Path.Combine(_root.Path, "drop");
            public string LockFolder => Path.Combine(_root.Path, "locks");

            public EdwPublisher Publisher(int keep = 4) => new EdwPublisher(Drop) { Keep = keep, LockDirectory = LockFolder };

            public string Summary(string content, string name = "XNAT-summary.csv")
            {
                var path = Path.Combine(RunFolder, name);
                File.WriteAllText(path, content);
                return path;
            }

            public string[] DropFiles() =>
                Directory.Exists(Drop) ? Directory.GetFiles(Drop).Select(f => Path.GetFileName(f)!).OrderBy(f => f, StringComparer.Ordinal).ToArray() : Array.Empty<string>();

            public void Dispose() => _root.Dispose();
        }

        private static string Sha256(byte[] bytes)
        {
            using var sha = SHA256.Create();
            return string.Concat(sha.ComputeHash(bytes).Select(b => b.ToString("x2")));
        }

        [Fact]
        public void A_summary_lands_as_a_versioned_file_with_a_sha256sum_sidecar_and_nothing_else()
        {
            using var s = new Setup();
            var source = s.Summary("Subject,Reference Date\r\n1234567881,2024-01-02\r\n");
            var result = s.Publisher().Publish(source, versionUtc: Q1);

            Assert.Equal(EdwPublicationStatus.Published, result.Status);
            Assert.Equal(new[] { "XNAT-summary_20250106T101500Z.csv", "XNAT-summary_20250106T101500Z.csv.sha256" }, s.DropFiles());
            var bytes = File.ReadAllBytes(source);
            Assert.Equal(bytes, File.ReadAllBytes(result.Path));
            Assert.Equal(Sha256(bytes), result.Sha256);
            Assert.Equal(Sha256(bytes) + "  XNAT-summary_20250106T101500Z.csv\n", File.ReadAllText(result.ChecksumPath));
            Assert.Equal(bytes.Length, result.Length);
            Assert.Equal(Q1, result.Version);
            // The lock is kept outside the drop folder (FileLock keeps it in a hidden folder under the lock folder).
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(s.LockFolder, FileLock.LockFolderName), "*.lock"));
        }

        [Fact]
        public void The_version_defaults_to_the_summary_write_time_and_the_name_can_be_set()
        {
            using var s = new Setup();
            var source = s.Summary("a\r\n");
            File.SetLastWriteTimeUtc(source, new DateTime(2024, 12, 31, 23, 59, 58, 750, DateTimeKind.Utc));
            var result = s.Publisher().Publish(source, name: "master-summary");
            Assert.Equal("master-summary_20241231T235958Z.csv", result.FileName);
        }

        [Fact]
        public void Only_the_newest_versions_are_kept_with_their_sidecars()
        {
            using var s = new Setup();
            for (int i = 0; i < 6; i++)
                s.Publisher(keep: 3).Publish(s.Summary("quarter " + i), versionUtc: Q1.AddDays(91 * i));
            Assert.Equal(new[]
            {
                "XNAT-summary_20251006T101500Z.csv", "XNAT-summary_20251006T101500Z.csv.sha256",
                "XNAT-summary_20260105T101500Z.csv", "XNAT-summary_20260105T101500Z.csv.sha256",
                "XNAT-summary_20260406T101500Z.csv", "XNAT-summary_20260406T101500Z.csv.sha256",
            }, s.DropFiles());
            Assert.Equal("quarter 5", File.ReadAllText(Path.Combine(s.Drop, "XNAT-summary_20260406T101500Z.csv")));
        }

        [Fact]
        public void A_newer_version_in_the_drop_folder_is_never_overwritten()
        {
            using var s = new Setup();
            s.Publisher().Publish(s.Summary("new"), versionUtc: Q1);
            var before = s.DropFiles();
            var error = Assert.Throws<EdwNewerVersionException>(() => s.Publisher().Publish(s.Summary("old"), versionUtc: Q1.AddDays(-91)));
            Assert.EndsWith("XNAT-summary_20250106T101500Z.csv", error.NewerPath);
            Assert.Equal(before, s.DropFiles());
            Assert.Equal("new", File.ReadAllText(Path.Combine(s.Drop, "XNAT-summary_20250106T101500Z.csv")));

            // Forced, the older summary goes in beside the newer one, which is kept even at Keep = 1.
            var forced = s.Publisher(keep: 1).Publish(s.Summary("old"), versionUtc: Q1.AddDays(-91), force: true);
            Assert.Equal(EdwPublicationStatus.Published, forced.Status);
            Assert.Contains("XNAT-summary_20250106T101500Z.csv", s.DropFiles());
        }

        [Fact]
        public void Publishing_the_same_summary_again_changes_nothing_and_other_content_under_the_same_version_is_refused()
        {
            using var s = new Setup();
            var source = s.Summary("same");
            var first = s.Publisher().Publish(source, versionUtc: Q1);
            var again = s.Publisher().Publish(source, versionUtc: Q1);
            Assert.Equal(EdwPublicationStatus.AlreadyPublished, again.Status);
            Assert.Equal(first.Sha256, again.Sha256);
            Assert.Equal(2, s.DropFiles().Length);

            Assert.Throws<EdwVersionConflictException>(() => s.Publisher().Publish(s.Summary("different"), versionUtc: Q1));
            Assert.Equal("same", File.ReadAllText(first.Path));
            var replaced = s.Publisher().Publish(s.Summary("different"), versionUtc: Q1, force: true);
            Assert.Equal("different", File.ReadAllText(replaced.Path));
            Assert.StartsWith(Sha256(Encoding.UTF8.GetBytes("different")), File.ReadAllText(replaced.ChecksumPath));
        }

        [Fact]
        public void A_missing_sidecar_of_an_already_published_version_is_restored()
        {
            using var s = new Setup();
            var source = s.Summary("same");
            var first = s.Publisher().Publish(source, versionUtc: Q1);
            File.Delete(first.ChecksumPath);
            s.Publisher().Publish(source, versionUtc: Q1);
            Assert.Equal(Sha256(Encoding.UTF8.GetBytes("same")) + "  " + first.FileName + "\n", File.ReadAllText(first.ChecksumPath));
        }

        [Fact]
        public void A_failure_mid_copy_leaves_nothing_partial_in_the_drop_folder()
        {
            using var s = new Setup();
            s.Publisher().Publish(s.Summary("last quarter"), versionUtc: Q1);
            var before = s.DropFiles();
            var big = new byte[3 << 20];
            new Random(7).NextBytes(big);
            var source = Path.Combine(s.RunFolder, "XNAT-summary.csv");
            File.WriteAllBytes(source, big);

            var publisher = s.Publisher();
            string[]? visibleDuringCopy = null;
            publisher.BlockCopied = copied =>
            {
                // What a warehouse job listing *.csv would see while the copy is under way.
                visibleDuringCopy ??= Directory.GetFiles(s.Drop, "*.csv").Select(f => Path.GetFileName(f)!).ToArray();
                if (copied >= 2 << 20) throw new IOException("disk full");
            };
            Assert.Throws<IOException>(() => publisher.Publish(source, versionUtc: Q1.AddDays(91)));

            Assert.Equal(new[] { "XNAT-summary_20250106T101500Z.csv" }, visibleDuringCopy);
            Assert.Equal(before, s.DropFiles());
            Assert.Equal("last quarter", File.ReadAllText(Path.Combine(s.Drop, "XNAT-summary_20250106T101500Z.csv")));

            // The next attempt succeeds and the previous version is still kept.
            var result = s.Publisher().Publish(source, versionUtc: Q1.AddDays(91));
            Assert.Equal(big, File.ReadAllBytes(result.Path));
            Assert.Equal(4, s.DropFiles().Length);
        }

        [Fact]
        public void A_temporary_file_left_by_a_killed_publisher_is_cleaned_up()
        {
            using var s = new Setup();
            Directory.CreateDirectory(s.Drop);
            File.WriteAllText(Path.Combine(s.Drop, ".handi-publish-0123456789ab.tmp"), "half a summ");
            File.WriteAllText(Path.Combine(s.Drop, "readme.txt"), "the warehouse's own file");
            s.Publisher().Publish(s.Summary("x"), versionUtc: Q1);
            Assert.Equal(new[] { "XNAT-summary_20250106T101500Z.csv", "XNAT-summary_20250106T101500Z.csv.sha256", "readme.txt" }, s.DropFiles());
        }

        [Fact]
        public void A_declined_plan_writes_nothing_not_even_the_drop_folder()
        {
            using var s = new Setup();
            s.Publisher().Publish(s.Summary("q1"), versionUtc: Q1);
            Directory.Delete(s.Drop, true);
            EdwPublishPlan? seen = null;
            var result = s.Publisher().Publish(s.Summary("q2"), versionUtc: Q1.AddDays(91), confirm: plan => { seen = plan; return false; });
            Assert.Equal(EdwPublicationStatus.Planned, result.Status);
            Assert.NotNull(seen);
            Assert.EndsWith("XNAT-summary_20250407T101500Z.csv", seen!.TargetPath);
            Assert.False(Directory.Exists(s.Drop));
        }

        [Fact]
        public void The_plan_lists_the_versions_that_would_be_removed()
        {
            using var s = new Setup();
            for (int i = 0; i < 3; i++) s.Publisher().Publish(s.Summary("q" + i), versionUtc: Q1.AddDays(91 * i));
            EdwPublishPlan? seen = null;
            s.Publisher(keep: 2).Publish(s.Summary("q3"), versionUtc: Q1.AddDays(273), confirm: plan => { seen = plan; return false; });
            Assert.Equal(new[] { "XNAT-summary_20250106T101500Z.csv", "XNAT-summary_20250407T101500Z.csv" }, seen!.ToRemove.Select(Path.GetFileName).OrderBy(n => n));
            Assert.Equal(6, s.DropFiles().Length);
        }

        [Fact]
        public void A_summary_inside_the_drop_folder_is_refused()
        {
            using var s = new Setup();
            Directory.CreateDirectory(s.Drop);
            var inside = Path.Combine(s.Drop, "summary.csv");
            File.WriteAllText(inside, "x");
            Assert.Throws<IOException>(() => s.Publisher().Publish(inside, versionUtc: Q1));
            Assert.Equal(new[] { "summary.csv" }, s.DropFiles());
        }
    }
}
