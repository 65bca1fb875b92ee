using System;
using System.IO;
using System.Text;
using System.Threading;

namespace HandiImaging.Core.IO
{
    /// <summary>
    /// Replaces a file in one step: the content is written to a temporary file beside the target, flushed to
    /// disk, and renamed over the target, so a reader sees the old file or the new one, never half of one.
    /// The previous version is kept as <c>&lt;name&gt;.bak</c>.
    /// </summary>
    public static class AtomicFile
    {
        public static readonly Encoding Utf8NoBom = new UTF8Encoding(false);

        /// <summary>Backup path kept beside <paramref name="path"/>.</summary>
        public static string BackupPath(string path) => path + ".bak";

        /// <summary>
        /// Writes through <paramref name="write"/> into a temp file, then swaps it in. If <paramref name="write"/>
        /// throws, the target is untouched and the temp file is removed.
        /// </summary>
        public static void Write(string path, Action<Stream> write, bool keepBackup = true)
        {
            if (path is null) throw new ArgumentNullException(nameof(path));
            var full = Path.GetFullPath(path);
            var dir = Path.GetDirectoryName(full) ?? ".";
            Directory.CreateDirectory(dir);
            var temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp");
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    write(stream);
                    stream.Flush(true);
                }
                Commit(temp, full, keepBackup);
            }
            catch
            {
                TryDelete(temp);
                throw;
            }
        }

        /// <summary>Writes text as UTF-8 (no BOM) atomically.</summary>
        public static void WriteText(string path, Action<TextWriter> write, bool keepBackup = true) =>
            Write(path, s =>
            {
                using var writer = new StreamWriter(s, Utf8NoBom, 1 << 16, leaveOpen: true) { NewLine = "\r\n" };
                write(writer);
                writer.Flush();
            }, keepBackup);

        /// <summary>Moves a finished temp file over the target, keeping the old target as the backup.</summary>
        internal static void Commit(string temp, string target, bool keepBackup)
        {
            if (File.Exists(target))
            {
                if (keepBackup)
                {
                    // File.Replace swaps in one rename where the platform allows it and keeps the backup.
                    File.Replace(temp, target, BackupPath(target), ignoreMetadataErrors: true);
                    return;
                }
                File.Delete(target);
            }
            File.Move(temp, target);
        }

        private static void TryDelete(string path)
        {
            try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// An exclusive lock on a persistent file (cohort, rules, ledger), held through a <c>&lt;name&gt;.lock</c>
    /// file opened without sharing. The OS releases it if the process dies, so a crash never leaves it stuck.
    /// The lock file stays after release: deleting it would let a waiter lock the old, unlinked file while a
    /// newcomer locks a fresh one, and both would hold "the" lock.
    /// </summary>
    public sealed class FileLock : IDisposable
    {
        private readonly FileStream _stream;

        private FileLock(FileStream stream, string path)
        {
            _stream = stream;
            LockPath = path;
        }

        public string LockPath { get; }

        /// <summary>How long a run waits for another to finish with a file, unless told otherwise.</summary>
        public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

        /// <summary>Waits up to <paramref name="timeout"/> (default 30 s) for the lock on <paramref name="path"/>.</summary>
        /// <exception cref="TimeoutException">Another run still holds the lock at the deadline.</exception>
        public static FileLock Acquire(string path, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            var lockPath = Path.GetFullPath(path) + ".lock";
            Directory.CreateDirectory(Path.GetDirectoryName(lockPath) ?? ".");
            var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
            var delay = 10;
            while (true)
            {
                try
                {
                    var stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                    return new FileLock(stream, lockPath);
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    cancellationToken.WaitHandle.WaitOne(delay);
                    cancellationToken.ThrowIfCancellationRequested();
                    delay = Math.Min(delay * 2, 200);
                }
                catch (IOException ex)
                {
                    throw new TimeoutException($"{path} is in use by another run (lock file {lockPath}); nothing was changed. Try again when it has finished.", ex);
                }
            }
        }

        public void Dispose() => _stream.Dispose();
    }
}
