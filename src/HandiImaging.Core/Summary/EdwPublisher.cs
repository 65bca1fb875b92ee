using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Summary
{
    public enum EdwPublicationStatus
    {
        /// <summary>The file was copied into the drop folder by this call.</summary>
        Published,
        /// <summary>The drop folder already held this version with the same content; nothing was copied.</summary>
        AlreadyPublished,
        /// <summary>Nothing was written (-WhatIf, or the confirmation was declined).</summary>
        Planned,
    }

    /// <summary>One published version of a summary in the drop folder.</summary>
    public sealed class EdwVersion
    {
        public EdwVersion(string path, DateTime version)
        {
            Path = path;
            Version = version;
        }

        public string Path { get; }
        public string FileName => System.IO.Path.GetFileName(Path);
        /// <summary>The version's timestamp (UTC), as written in its name.</summary>
        public DateTime Version { get; }
    }

    /// <summary>What a publication will do, shown to the confirmation callback (-WhatIf) before anything is written.</summary>
    public sealed class EdwPublishPlan
    {
        public string SourcePath { get; internal set; } = "";
        public string TargetPath { get; internal set; } = "";
        public DateTime Version { get; internal set; }
        /// <summary>Older versions (with their sidecars) that will be deleted to keep the newest n.</summary>
        public IReadOnlyList<string> ToRemove { get; internal set; } = Array.Empty<string>();
        /// <summary>True when the drop folder already holds this version with the same content.</summary>
        public bool AlreadyPublished { get; internal set; }
        /// <summary>True when an existing file of the same version but other content is replaced (force).</summary>
        public bool Replaces { get; internal set; }
    }

    /// <summary>The outcome of publishing a summary to the EDW drop folder.</summary>
    public sealed class EdwPublication
    {
        public EdwPublicationStatus Status { get; internal set; }
        public string DropFolder { get; internal set; } = "";
        /// <summary>The published file in the drop folder.</summary>
        public string Path { get; internal set; } = "";
        public string FileName => System.IO.Path.GetFileName(Path);
        /// <summary>The sha256sum-format sidecar beside it (&lt;file&gt;.sha256).</summary>
        public string ChecksumPath { get; internal set; } = "";
        /// <summary>SHA-256 of the published bytes, lower-case hex (empty when only planned).</summary>
        public string Sha256 { get; internal set; } = "";
        public long Length { get; internal set; }
        /// <summary>The version's timestamp (UTC), as in the file name.</summary>
        public DateTime Version { get; internal set; }
        /// <summary>Older versions deleted (or, when planned, to be deleted) to keep the newest n.</summary>
        public IReadOnlyList<string> Removed { get; internal set; } = Array.Empty<string>();
        public TimeSpan Duration { get; internal set; }
    }

    /// <summary>The drop folder already holds a version newer than the one being published.</summary>
    public sealed class EdwNewerVersionException : IOException
    {
        public EdwNewerVersionException(string message, string newerPath) : base(message) { NewerPath = newerPath; }
        public string NewerPath { get; }
    }

    /// <summary>The drop folder holds this version's name with different content.</summary>
    public sealed class EdwVersionConflictException : IOException
    {
        public EdwVersionConflictException(string message) : base(message) { }
    }

    /// <summary>
    /// Publishes the master summary to the warehouse's drop folder so the warehouse never sees a partial or
    /// unverified file: each version is named <c>&lt;name&gt;_&lt;yyyyMMddTHHmmssZ&gt;&lt;ext&gt;</c> (UTC; names sort
    /// by time), copied under a temporary dot-name in the drop folder, flushed, and renamed into place after its
    /// sha256sum-format sidecar <c>&lt;file&gt;.sha256</c>. The newest <see cref="Keep"/> versions stay; older
    /// ones and their sidecars are deleted. A version newer than the one given is never overwritten.
    /// </summary>
    /// <remarks>
    /// The lock that keeps two publishers apart lives outside the drop folder (<see cref="LockDirectory"/>), and
    /// no backup is kept there: after a publication the folder holds only versions and their sidecars. A
    /// temporary file left by a killed process (<c>.handi-publish-*.tmp</c>) is removed by the next publication.
    /// </remarks>
    public sealed class EdwPublisher
    {
        private const string TempPrefix = ".handi-publish-";
        private const string TempSuffix = ".tmp";
        private const string VersionFormat = "yyyyMMdd'T'HHmmss'Z'";
        public const string ChecksumExtension = ".sha256";

        public EdwPublisher(string dropFolder)
        {
            if (string.IsNullOrEmpty(dropFolder)) throw new ArgumentException("A drop folder is required.", nameof(dropFolder));
            DropFolder = System.IO.Path.GetFullPath(dropFolder);
        }

        public string DropFolder { get; }

        /// <summary>How many versions to keep in the drop folder, the new one included (at least 1).</summary>
        public int Keep { get; set; } = 4;

        /// <summary>Where the publishers' lock file lives: never the drop folder. The system temp folder by default.</summary>
        public string LockDirectory { get; set; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "HandiImaging");

        public TimeSpan LockTimeout { get; set; } = FileLock.DefaultTimeout;

        /// <summary>Test hook: called with the bytes copied so far after each block (to simulate a failure mid-copy).</summary>
        internal Action<long>? BlockCopied { get; set; }

        /// <summary>The name a version gets: <c>&lt;name&gt;_&lt;yyyyMMddTHHmmssZ&gt;&lt;extension&gt;</c>.</summary>
        public static string VersionedName(string name, DateTime versionUtc, string extension) =>
            name + "_" + versionUtc.ToString(VersionFormat, CultureInfo.InvariantCulture) + extension;

        /// <summary>The versions of <paramref name="name"/> in the drop folder, newest first.</summary>
        public IReadOnlyList<EdwVersion> Versions(string name, string extension)
        {
            if (!Directory.Exists(DropFolder)) return Array.Empty<EdwVersion>();
            var pattern = new Regex("^" + Regex.Escape(name) + "_(\\d{8}T\\d{6}Z)" + Regex.Escape(extension) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            var versions = new List<EdwVersion>();
            foreach (var file in Directory.EnumerateFiles(DropFolder))
            {
                var match = pattern.Match(System.IO.Path.GetFileName(file));
                if (match.Success && DateTime.TryParseExact(match.Groups[1].Value, VersionFormat, CultureInfo.InvariantCulture,
                        DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var version))
                    versions.Add(new EdwVersion(file, version));
            }
            return versions.OrderByDescending(v => v.Version).ThenByDescending(v => v.FileName, StringComparer.Ordinal).ToList();
        }

        /// <summary>
        /// Publishes <paramref name="sourcePath"/> as version <paramref name="versionUtc"/> (the file's last write time,
        /// UTC, to the second, by default) under <paramref name="name"/> (the file's name without extension by default).
        /// </summary>
        /// <param name="sourcePath">The summary to publish; it must not be in the drop folder.</param>
        /// <param name="name">The name versions are published under, without extension.</param>
        /// <param name="versionUtc">The version's timestamp, written into the name.</param>
        /// <param name="cancellationToken">Cancels the copy; nothing partial is left behind.</param>
        /// <param name="confirm">Sees the plan before anything is written; returning false writes nothing (-WhatIf).</param>
        /// <param name="force">Publish even when a newer version exists, and replace a same-named version with other content.</param>
        /// <exception cref="EdwNewerVersionException">A newer version is in the drop folder (and not <paramref name="force"/>).</exception>
        /// <exception cref="EdwVersionConflictException">This version's name holds other content (and not <paramref name="force"/>).</exception>
        /// <exception cref="TimeoutException">Another publisher holds the lock.</exception>
        public EdwPublication Publish(string sourcePath, string? name = null, DateTime? versionUtc = null,
            Func<EdwPublishPlan, bool>? confirm = null, bool force = false, CancellationToken cancellationToken = default)
        {
            if (Keep < 1) throw new ArgumentOutOfRangeException(nameof(Keep), Keep, "Keep at least one version.");
            var started = DateTime.UtcNow;
            var source = System.IO.Path.GetFullPath(sourcePath);
            if (!File.Exists(source)) throw new FileNotFoundException($"The summary {source} does not exist.", source);
            if (string.Equals(System.IO.Path.GetDirectoryName(source)?.TrimEnd(System.IO.Path.DirectorySeparatorChar), DropFolder.TrimEnd(System.IO.Path.DirectorySeparatorChar), StringComparison.OrdinalIgnoreCase))
                throw new IOException($"The summary {source} is in the drop folder itself; publish it from the run folder.");
            var extension = System.IO.Path.GetExtension(source);
            var stem = string.IsNullOrWhiteSpace(name) ? System.IO.Path.GetFileNameWithoutExtension(source) : name!.Trim();
            if (stem.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0 || stem.StartsWith(".", StringComparison.Ordinal))
                throw new ArgumentException($"'{stem}' cannot be a file name in the drop folder.", nameof(name));
            var version = Truncate((versionUtc ?? File.GetLastWriteTimeUtc(source)).ToUniversalTime());

            var plan = Plan(source, stem, extension, version, force);
            if (confirm != null && !confirm(plan))
                return Result(EdwPublicationStatus.Planned, plan, "", 0, plan.ToRemove, started);

            Directory.CreateDirectory(DropFolder);
            Directory.CreateDirectory(LockDirectory);
            using (FileLock.Acquire(System.IO.Path.Combine(LockDirectory, "edw-" + FolderKey(DropFolder)), LockTimeout, cancellationToken))
            {
                RemoveStaleTemporaryFiles();
                plan = Plan(source, stem, extension, version, force); // the folder may have changed while we waited
                var checksumPath = plan.TargetPath + ChecksumExtension;
                if (plan.AlreadyPublished)
                {
                    var existing = HashFile(plan.TargetPath, cancellationToken);
                    if (!File.Exists(checksumPath) || !ChecksumMatches(checksumPath, existing))
                        PlaceFile(checksumPath, s => WriteChecksum(s, existing, plan.TargetPath), cancellationToken);
                    var removed = Prune(plan.ToRemove);
                    return Result(EdwPublicationStatus.AlreadyPublished, plan, existing, new FileInfo(plan.TargetPath).Length, removed, started);
                }

                var dataTemp = TemporaryPath();
                string? checksumTemp = null;
                bool checksumPlaced = false;
                try
                {
                    var (hash, length) = CopyHashed(source, dataTemp, cancellationToken);
                    checksumTemp = TemporaryPath();
                    using (var stream = new FileStream(checksumTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                    {
                        WriteChecksum(stream, hash, plan.TargetPath);
                        stream.Flush(true);
                    }
                    // The sidecar goes first, so a watcher that sees the file can verify it at once.
                    MoveIntoPlace(checksumTemp, checksumPath);
                    checksumPlaced = true;
                    cancellationToken.ThrowIfCancellationRequested();
                    MoveIntoPlace(dataTemp, plan.TargetPath);
                    var removed = Prune(plan.ToRemove);
                    return Result(EdwPublicationStatus.Published, plan, hash, length, removed, started);
                }
                catch
                {
                    TryDelete(dataTemp);
                    if (checksumTemp != null) TryDelete(checksumTemp);
                    if (checksumPlaced && !File.Exists(plan.TargetPath)) TryDelete(checksumPath);
                    throw;
                }
            }
        }

        private EdwPublishPlan Plan(string source, string stem, string extension, DateTime version, bool force)
        {
            var target = System.IO.Path.Combine(DropFolder, VersionedName(stem, version, extension));
            var versions = Versions(stem, extension);
            var newer = versions.FirstOrDefault(v => v.Version > version);
            if (newer != null && !force)
                throw new EdwNewerVersionException(
                    $"{DropFolder} already holds {newer.FileName}, newer than this summary's version {version.ToString(VersionFormat, CultureInfo.InvariantCulture)}; nothing was published (use -Force to publish an older summary anyway).", newer.Path);
            var same = versions.FirstOrDefault(v => string.Equals(v.Path, target, StringComparison.OrdinalIgnoreCase));
            bool already = false, replaces = false;
            if (same != null)
            {
                if (FilesEqual(source, same.Path)) already = true;
                else if (force) replaces = true;
                else throw new EdwVersionConflictException($"{same.FileName} in {DropFolder} has other content than {source}; nothing was published (use -Force to replace it).");
            }
            // The new version takes its place among the existing ones; everything past the newest Keep goes.
            var all = versions.Where(v => same == null || v != same).Select(v => (v.Version, Path: v.Path)).ToList();
            all.Add((version, target));
            var remove = all.OrderByDescending(v => v.Version).Skip(Keep).Select(v => v.Path).Where(p => p != target).ToList();
            return new EdwPublishPlan { SourcePath = source, TargetPath = target, Version = version, ToRemove = remove, AlreadyPublished = already, Replaces = replaces };
        }

        private (string Hash, long Length) CopyHashed(string source, string temp, CancellationToken cancellationToken)
        {
            using var sha = SHA256.Create();
            long copied = 0;
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var buffer = new byte[1 << 20];
                int read;
                while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    output.Write(buffer, 0, read);
                    sha.TransformBlock(buffer, 0, read, null, 0);
                    copied += read;
                    BlockCopied?.Invoke(copied);
                }
                output.Flush(true);
            }
            sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
            return (Hex(sha.Hash!), copied);
        }

        private void PlaceFile(string target, Action<Stream> write, CancellationToken cancellationToken)
        {
            var temp = TemporaryPath();
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    write(stream);
                    stream.Flush(true);
                }
                cancellationToken.ThrowIfCancellationRequested();
                MoveIntoPlace(temp, target);
            }
            catch
            {
                TryDelete(temp);
                throw;
            }
        }

        /// <summary>sha256sum's text format: hash, two spaces, file name, LF — so `sha256sum -c` works in the drop folder.</summary>
        private static void WriteChecksum(Stream stream, string hash, string targetPath)
        {
            var bytes = new UTF8Encoding(false).GetBytes(hash + "  " + System.IO.Path.GetFileName(targetPath) + "\n");
            stream.Write(bytes, 0, bytes.Length);
        }

        private static bool ChecksumMatches(string checksumPath, string hash)
        {
            var text = File.ReadAllText(checksumPath).Trim();
            return text.StartsWith(hash + " ", StringComparison.OrdinalIgnoreCase);
        }

        private static void MoveIntoPlace(string temp, string target)
        {
            if (File.Exists(target)) File.Replace(temp, target, null, ignoreMetadataErrors: true);
            else File.Move(temp, target);
        }

        private IReadOnlyList<string> Prune(IReadOnlyList<string> paths)
        {
            var removed = new List<string>();
            foreach (var path in paths)
            {
                // The data file goes first: a sidecar without its file is harmless, a file without its sidecar is not verifiable.
                if (File.Exists(path)) { File.Delete(path); removed.Add(path); }
                if (File.Exists(path + ChecksumExtension)) File.Delete(path + ChecksumExtension);
            }
            return removed;
        }

        private void RemoveStaleTemporaryFiles()
        {
            // Under the lock, any of our temporary files is a leftover of a killed publisher.
            foreach (var file in Directory.EnumerateFiles(DropFolder, TempPrefix + "*" + TempSuffix))
                TryDelete(file);
        }

        private string TemporaryPath() =>
            System.IO.Path.Combine(DropFolder, TempPrefix + Guid.NewGuid().ToString("N").Substring(0, 12) + TempSuffix);

        private EdwPublication Result(EdwPublicationStatus status, EdwPublishPlan plan, string hash, long length, IReadOnlyList<string> removed, DateTime started) =>
            new EdwPublication
            {
                Status = status,
                DropFolder = DropFolder,
                Path = plan.TargetPath,
                ChecksumPath = plan.TargetPath + ChecksumExtension,
                Sha256 = hash,
                Length = status == EdwPublicationStatus.Planned ? new FileInfo(plan.SourcePath).Length : length,
                Version = plan.Version,
                Removed = removed,
                Duration = DateTime.UtcNow - started,
            };

        private static bool FilesEqual(string a, string b)
        {
            var fa = new FileInfo(a);
            var fb = new FileInfo(b);
            if (fa.Length != fb.Length) return false;
            return HashFile(a, default) == HashFile(b, default);
        }

        private static string HashFile(string path, CancellationToken cancellationToken)
        {
            using var sha = SHA256.Create();
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            cancellationToken.ThrowIfCancellationRequested();
            return Hex(sha.ComputeHash(stream));
        }

        private static string Hex(byte[] bytes)
        {
            var sb = new StringBuilder(bytes.Length * 2);
            foreach (var b in bytes) sb.Append(b.ToString("x2", CultureInfo.InvariantCulture));
            return sb.ToString();
        }

        private static string FolderKey(string folder)
        {
            using var sha = SHA256.Create();
            var key = folder.TrimEnd(System.IO.Path.DirectorySeparatorChar).ToUpperInvariant();
            return Hex(sha.ComputeHash(Encoding.UTF8.GetBytes(key))).Substring(0, 16);
        }

        private static DateTime Truncate(DateTime utc) =>
            new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

        private static void TryDelete(string path)
        {
            try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
