using System;
using System.IO;
using System.Text;
using System.Threading;

namespace HandiImaging.Core.IO
{
    /// <summary>
    /// Replaces a file in one step: the content is written to a temporary file beside the target, flushed to
    /// disk, and renamed over the target, so a reader sees the old file or the new one, never half of one.
    /// The previous version is kept as <c>&lt;name&gt;.bak</c>; the previous backup is only replaced once the new
    /// file is in place. A symbolic link is written through (its target is replaced, the link stays); the new
    /// file gets the original's permission bits and owner (Linux/macOS; Windows' File.Replace keeps the ACLs);
    /// a read-only target is refused.
    /// </summary>
    public static class AtomicFile
    {
        public static readonly Encoding Utf8NoBom = new UTF8Encoding(false);

        /// <summary>Backup path kept beside <paramref name="path"/>.</summary>
        public static string BackupPath(string path) => path + ".bak";

        /// <summary>
        /// Writes through <paramref name="write"/> into a temp file, then swaps it in. If <paramref name="write"/>
        /// throws, the target and its backup are untouched and the temp file is removed.
        /// </summary>
        /// <exception cref="UnauthorizedAccessException">The target is read-only.</exception>
        public static void Write(string path, Action<Stream> write, bool keepBackup = true)
        {
            if (path is null) throw new ArgumentNullException(nameof(path));
            var full = FinalTarget(Path.GetFullPath(path));
            if (Directory.Exists(full)) throw new IOException($"{full} is a folder, not a file; give a file name.");
            var original = File.Exists(full) ? UnixFile.Stat(full) : null;
            ThrowIfReadOnly(full, original);
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
                if (original is UnixFile.Status status) UnixFile.Apply(temp, status);
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

        /// <summary>
        /// The file a path finally names: symbolic links followed, so the link itself is never replaced. The path
        /// as given when it is not a link (or the runtime cannot tell: .NET Framework).
        /// </summary>
        public static string FinalTarget(string fullPath)
        {
            var resolve = typeof(FileSystemInfo).GetMethod("ResolveLinkTarget", new[] { typeof(bool) });
            if (resolve is null || !File.Exists(fullPath)) return fullPath;
            try
            {
                return resolve.Invoke(new FileInfo(fullPath), new object[] { true }) is FileSystemInfo target ? Path.GetFullPath(target.FullName) : fullPath;
            }
            catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is IOException)
            {
                throw new IOException($"{fullPath} is a symbolic link that cannot be followed: {ex.InnerException.Message}", ex.InnerException);
            }
        }

        /// <summary>Refuses a read-only target before anything is written or locked.</summary>
        /// <exception cref="UnauthorizedAccessException">The file exists and is read-only.</exception>
        public static void ThrowIfReadOnly(string fullPath) => ThrowIfReadOnly(fullPath, File.Exists(fullPath) ? UnixFile.Stat(fullPath) : null);

        private static void ThrowIfReadOnly(string full, UnixFile.Status? status)
        {
            if (File.Exists(full) && IsReadOnly(full, status))
                throw new UnauthorizedAccessException($"{full} is read-only; nothing was written. Make it writable (or choose another file) and run again.");
        }

        /// <summary>Read-only for everyone (Windows attribute, or no write bit at all on Linux/macOS, which root would ignore).</summary>
        private static bool IsReadOnly(string path, UnixFile.Status? status) =>
            (File.GetAttributes(path) & FileAttributes.ReadOnly) != 0 || (status is UnixFile.Status s && (s.Mode & 0x92) == 0);

        /// <summary>
        /// Moves a finished temp file over the target. With a backup, the old target is first copied to a temp
        /// backup, and that replaces <c>.bak</c> only after the new file is in: a failed swap leaves the target and
        /// the previous backup as they were.
        /// </summary>
        internal static void Commit(string temp, string target, bool keepBackup)
        {
            if (!File.Exists(target))
            {
                File.Move(temp, target);
                return;
            }
            if (!keepBackup)
            {
                File.Replace(temp, target, null, ignoreMetadataErrors: true);
                return;
            }
            var backup = BackupPath(target);
            if (Directory.Exists(backup)) throw new IOException($"{backup} is a folder, so the previous version of {target} cannot be kept there; nothing was replaced.");
            var backupTemp = temp + ".bak";
            try
            {
                File.Copy(target, backupTemp);
                File.Replace(temp, target, null, ignoreMetadataErrors: true);
                if (File.Exists(backup)) File.Replace(backupTemp, backup, null, ignoreMetadataErrors: true);
                else File.Move(backupTemp, backup);
            }
            finally
            {
                TryDelete(backupTemp);
            }
        }

        private static void TryDelete(string path)
        {
            try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// An exclusive lock on a persistent file (cohort, rules, ledger), held through a lock file opened without
    /// sharing: <c>.handiimaging/&lt;name&gt;.lock</c>, in a hidden folder beside the file, so the folder itself holds
    /// only the admin's files and our outputs. The OS releases it if the process dies, so a crash never leaves it
    /// stuck. The lock file stays after release: deleting it would let a waiter lock the old, unlinked file while
    /// a newcomer locks a fresh one, and both would hold "the" lock.
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

        /// <summary>The hidden folder beside each locked file that holds its lock file.</summary>
        public const string LockFolderName = ".handiimaging";

        /// <summary>Where the lock file of <paramref name="path"/> lives: <c>&lt;folder&gt;/.handiimaging/&lt;name&gt;.lock</c>.</summary>
        public static string LockPathOf(string path)
        {
            var full = AtomicFile.FinalTarget(Path.GetFullPath(path));
            return Path.Combine(Path.GetDirectoryName(full) ?? ".", LockFolderName, Path.GetFileName(full) + ".lock");
        }

        /// <summary>How long a run waits for another to finish with a file, unless told otherwise.</summary>
        public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

        /// <summary>Waits up to <paramref name="timeout"/> (default 30 s) for the lock on <paramref name="path"/>.</summary>
        /// <exception cref="TimeoutException">Another run still holds the lock at the deadline.</exception>
        public static FileLock Acquire(string path, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        {
            // A lock is only taken to write: a read-only file is refused before the lock folder is made.
            AtomicFile.ThrowIfReadOnly(AtomicFile.FinalTarget(Path.GetFullPath(path)));
            var lockPath = LockPathOf(path);
            var folder = Path.GetDirectoryName(lockPath)!;
            var parent = Path.GetDirectoryName(folder) ?? ".";
            // Never creates the file's own folder: a run that goes on to write creates it first.
            if (!Directory.Exists(parent)) throw new DirectoryNotFoundException($"The folder {parent} does not exist.");
            if (!Directory.Exists(folder))
            {
                var created = Directory.CreateDirectory(folder);
                if (!UnixFile.IsUnix) created.Attributes |= FileAttributes.Hidden;
            }
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
