using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace HandiImaging.Core.Xnat
{
    /// <summary>One of XNAT's per-type session exports, and where it is (null when the folder lacks it).</summary>
    public sealed record XnatSessionExport(string Type, string FileName, string? Path);

    /// <summary>
    /// The eight session lists the admins export from XNAT into one folder (<c>CT.csv</c> … <c>XA.csv</c>), in the
    /// order the master summary lays them out. Both the summary and the failure ledger find them here.
    /// </summary>
    public static class XnatSessionExports
    {
        public static readonly IReadOnlyList<string> Types = new[] { "CT", "MR", "PET", "CR", "DX", "RF", "SR", "XA" };

        /// <summary>
        /// Finds each export in <paramref name="folder"/>: the exact name, else the only case-insensitive match
        /// (two files differing only in case are ambiguous, so neither is taken).
        /// </summary>
        public static IReadOnlyList<XnatSessionExport> Locate(string folder)
        {
            if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The session folder {folder} does not exist.");
            // Every file, not "*.csv": the pattern is case-sensitive on Linux and would miss "MR.CSV".
            var present = Directory.GetFiles(folder);
            return Types.Select(type =>
            {
                var name = type + ".csv";
                var exact = System.IO.Path.Combine(folder, name);
                if (File.Exists(exact)) return new XnatSessionExport(type, name, exact);
                var matches = present.Where(p => string.Equals(System.IO.Path.GetFileName(p), name, StringComparison.OrdinalIgnoreCase)).ToList();
                return new XnatSessionExport(type, name, matches.Count == 1 ? matches[0] : null);
            }).ToList();
        }
    }
}
