using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HandiImaging.Core.IO;
using HandiImaging.Core.Tests.Cohort;

namespace HandiImaging.Core.Tests.IO
{
    public class AtomicFileTests
    {
        [Fact]
        public void A_replaced_file_keeps_its_previous_version_as_the_backup()
        {
            using var folder = new TempFolder();
            var path = folder.File("ledger.csv", "old");
            AtomicFile.WriteText(path, w => w.Write("new"));
            Assert.Equal("new", File.ReadAllText(path));
            Assert.Equal("old", File.ReadAllText(AtomicFile.BackupPath(path)));
        }

        [Fact]
        public void A_write_that_throws_leaves_the_target_untouched_and_no_temp_file()
        {
            using var folder = new TempFolder();
            var path = folder.File("ledger.csv", "old");
            Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteText(path, w =>
            {
                w.Write("half a new fi");
                w.Flush();
                throw new InvalidOperationException("crash mid-write");
            }));
            Assert.Equal("old", File.ReadAllText(path));
            Assert.Equal(new[] { "ledger.csv" }, Directory.GetFiles(folder.Path).Select(Path.GetFileName));
        }
    }

    public class FileLockTests
    {
        [Fact]
        public void A_second_run_waits_and_then_times_out_while_the_first_holds_the_lock()
        {
            using var folder = new TempFolder();
            var path = Path.Combine(folder.Path, "cohort.csv");
            using (FileLock.Acquire(path))
            {
                var ex = Assert.Throws<TimeoutException>(() => FileLock.Acquire(path, TimeSpan.FromMilliseconds(200)));
                Assert.Contains("in use by another run", ex.Message);
            }
            using (FileLock.Acquire(path, TimeSpan.FromMilliseconds(200))) { }
        }

        [Fact]
        public async Task Contending_runs_never_hold_the_lock_together()
        {
            using var folder = new TempFolder();
            var path = Path.Combine(folder.Path, "ledger.csv");
            var inside = 0;
            var overlaps = 0;
            var entries = 0;
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                for (var i = 0; i < 200; i++)
                {
                    using (FileLock.Acquire(path, TimeSpan.FromSeconds(30)))
                    {
                        if (Interlocked.Increment(ref inside) != 1) Interlocked.Increment(ref overlaps);
                        Interlocked.Increment(ref entries);
                        Interlocked.Decrement(ref inside);
                    }
                }
            })));
            Assert.Equal(0, overlaps);
            Assert.Equal(800, entries);
        }
    }
}
