using System;
using System.IO;
using System.Runtime.InteropServices;

namespace HandiImaging.Core.IO
{
    /// <summary>
    /// The owner, group and permission bits of a file on Linux and macOS, which netstandard2.0 cannot see. Read with
    /// the .NET runtime's own stat shim (libSystem.Native, whose FileStatus starts Flags, Mode, Uid, Gid on every
    /// runtime since .NET Core 2) and set with libc chmod/chown. On Windows every member is a no-op: File.Replace
    /// keeps the ACLs there.
    /// </summary>
    internal static class UnixFile
    {
        public static bool IsUnix => !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        public readonly struct Status
        {
            public Status(int mode, uint uid, uint gid)
            {
                Mode = mode;
                Uid = uid;
                Gid = gid;
            }

            /// <summary>Permission bits (e.g. 0600), without the file-type bits.</summary>
            public int Mode { get; }
            public uint Uid { get; }
            public uint Gid { get; }
        }

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
        private static extern int NativeStat(byte[] path, IntPtr status);

        [DllImport("libc", EntryPoint = "chmod", SetLastError = true)]
        private static extern int NativeChmod(byte[] path, uint mode);

        [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
        private static extern int NativeChown(byte[] path, uint uid, uint gid);

        /// <summary>A path as the NUL-terminated UTF-8 bytes the C functions take (netstandard2.0 has no LPUTF8Str).</summary>
        private static byte[] Utf8Z(string path)
        {
            var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
            System.Text.Encoding.UTF8.GetBytes(path, 0, path.Length, bytes, 0);
            return bytes;
        }

        /// <summary>The file's mode and owner; null on Windows or where the runtime offers no stat.</summary>
        public static Status? Stat(string path)
        {
            if (!IsUnix) return null;
            // FileStatus is well under 256 bytes on every runtime; only its first four fields are read.
            var buffer = Marshal.AllocHGlobal(256);
            try
            {
                if (NativeStat(Utf8Z(path), buffer) != 0) return null;
                var mode = Marshal.ReadInt32(buffer, 4);
                return new Status(mode & 0xFFF, unchecked((uint)Marshal.ReadInt32(buffer, 8)), unchecked((uint)Marshal.ReadInt32(buffer, 12)));
            }
            catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException)
            {
                return null;
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }

        /// <summary>Gives <paramref name="path"/> the mode and (where permitted) the owner of <paramref name="status"/>.</summary>
        /// <exception cref="IOException">The mode could not be set: the file would be left more open than the original.</exception>
        public static void Apply(string path, Status status)
        {
            if (!IsUnix) return;
            // Owner first: chown may clear set-id bits, which the chmod then restores.
            try { NativeChown(Utf8Z(path), status.Uid, status.Gid); } // EPERM for an ordinary user giving a file away: the new file stays theirs
            catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException) { }
            int result;
            try { result = NativeChmod(Utf8Z(path), (uint)status.Mode); }
            catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException) { return; }
            if (result != 0)
                throw new IOException($"Could not give {path} the original file's permissions ({Convert.ToString(status.Mode, 8)}; error {Marshal.GetLastWin32Error()}); nothing was replaced.");
        }
    }
}
