using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;

namespace HandiImaging.Core.IO
{
    /// <summary>The files an admin keeps from quarter to quarter, which no other cmdlet's output may replace.</summary>
    public enum ProtectedFileKind
    {
        None,
        Cohort,
        FailureLedger,
        RulesCsv,
        RulesWorkbook,
    }

    /// <summary>An output path that names one of the run's own inputs or a file the admin keeps; nothing was written.</summary>
    public sealed class OutputOverwritesInputException : IOException
    {
        public OutputOverwritesInputException(string outputPath, string message) : base(message) => OutputPath = outputPath;

        public string OutputPath { get; }
    }

    /// <summary>
    /// Stops an output from destroying an input: an output path is compared with every input of the run (full
    /// paths, symbolic links followed, case ignored where the file system ignores it), and an existing file at the
    /// output path is recognised by its content as a cohort, failure ledger or rules file, which only the cmdlet
    /// that owns that file may replace.
    /// </summary>
    public static class OutputGuard
    {
        private static readonly StringComparer PathComparer =
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) || RuntimeInformation.IsOSPlatform(OSPlatform.OSX)
                ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

        /// <summary>The file a path finally names: full path, symbolic links followed.</summary>
        public static string Canonical(string path) => AtomicFile.FinalTarget(Path.GetFullPath(path));

        public static bool SameFile(string a, string b) => PathComparer.Equals(Canonical(a), Canonical(b));

        /// <summary>What kind of kept file is at <paramref name="path"/>, judged by its content; None when it does not exist or is anything else.</summary>
        public static ProtectedFileKind KindOf(string path)
        {
            if (!File.Exists(path)) return ProtectedFileKind.None;
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var head = new byte[4];
                var read = stream.Read(head, 0, 4);
                stream.Position = 0;
                if (read >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return WorkbookKind(stream);
                return CsvKind(HeaderOf(stream));
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException || ex is CsvHelperException || Rules.Xlsx.IsCorruption(ex))
            {
                return ProtectedFileKind.None;
            }
        }

        public static string Describe(ProtectedFileKind kind) => kind switch
        {
            ProtectedFileKind.Cohort => "a cohort file",
            ProtectedFileKind.FailureLedger => "the failure ledger",
            ProtectedFileKind.RulesCsv => "a rules file",
            ProtectedFileKind.RulesWorkbook => "the clinicians' rules workbook",
            _ => "a file",
        };

        /// <summary>
        /// Throws <see cref="OutputOverwritesInputException"/> when <paramref name="outputPath"/> is one of
        /// <paramref name="inputs"/> (each with the parameter or role that named it), or an existing kept file of a
        /// kind not in <paramref name="ownKinds"/>.
        /// </summary>
        public static void Check(string outputPath, string outputRole, IEnumerable<(string? Path, string Role)> inputs, params ProtectedFileKind[] ownKinds)
        {
            var output = Canonical(outputPath);
            foreach (var (path, role) in inputs)
            {
                if (path is null) continue;
                if (PathComparer.Equals(output, Canonical(path)))
                    throw new OutputOverwritesInputException(outputPath,
                        $"{outputRole} {outputPath} is the same file as {role}{(SameText(outputPath, path) ? "" : " (" + path + ")")}; writing it would destroy that input. Nothing was written: choose another output file.");
            }
            var kind = KindOf(output);
            if (kind != ProtectedFileKind.None && !ownKinds.Contains(kind))
                throw new OutputOverwritesInputException(outputPath,
                    $"{outputRole} {outputPath} is {Describe(kind)}; this command does not replace it. Nothing was written: choose another output file.");
        }

        private static bool SameText(string a, string b) => PathComparer.Equals(Path.GetFullPath(a), Path.GetFullPath(b));

        private static string[] HeaderOf(Stream stream)
        {
            using var reader = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, bufferSize: 4096, leaveOpen: true);
            var config = new CsvConfiguration(System.Globalization.CultureInfo.InvariantCulture) { HasHeaderRecord = false, BadDataFound = null, MissingFieldFound = null, IgnoreBlankLines = true };
            using var parser = new CsvParser(reader, config);
            return parser.Read() ? parser.Record ?? Array.Empty<string>() : Array.Empty<string>();
        }

        private static ProtectedFileKind CsvKind(string[] header)
        {
            var keys = new HashSet<string>(header.Select(h => CsvTable.Key(h ?? "")));
            bool Has(params string[] names) => names.Any(n => keys.Contains(CsvTable.Key(n)));
            if (Has("FirstSeen") && Has("LastSeen") && Has("Status") && Has("StudyInstanceUid")) return ProtectedFileKind.FailureLedger;
            if (Has("HospitalId", "PatientId", "MRN", "HospitalNumber") && Has("Status") && Has("LastQueried")) return ProtectedFileKind.Cohort;
            // A review file also has Description and Decision, but never who decided or when.
            if (Has("Description", "StudyDescription") && Has("Decision") && Has("DecidedBy", "DecidedOn")) return ProtectedFileKind.RulesCsv;
            return ProtectedFileKind.None;
        }

        private static ProtectedFileKind WorkbookKind(Stream stream)
        {
            try
            {
                using var document = DocumentFormat.OpenXml.Packaging.SpreadsheetDocument.Open(stream, false);
                var names = document.WorkbookPart?.Workbook?.Sheets?.Elements<DocumentFormat.OpenXml.Spreadsheet.Sheet>()
                    .Select(s => (s.Name?.Value ?? "").Trim().ToUpperInvariant()).ToList() ?? new List<string>();
                return names.Contains("INCLUDE") && names.Contains("EXCLUDE") ? ProtectedFileKind.RulesWorkbook : ProtectedFileKind.None;
            }
            catch (Exception ex) when (Rules.Xlsx.IsCorruption(ex))
            {
                return ProtectedFileKind.None;
            }
        }
    }
}
