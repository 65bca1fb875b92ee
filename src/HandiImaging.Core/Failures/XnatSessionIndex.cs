using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using HandiImaging.Core.IO;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Core.Failures
{
    /// <summary>
    /// Which studies XNAT holds, from its eight session exports (MR.csv … XA.csv in one folder): the
    /// StudyInstanceUIDs in any column headed <c>UID</c> (CT, PET, DX) and the session labels in column 3
    /// (every type), which XNAT sets to the study's accession number.
    /// </summary>
    /// <remarks>
    /// Column 4 headed <c>ID</c> (CR, RF, SR, XA) is not used: domain.md does not say what it holds, and an ID
    /// that is not the accession number could falsely resolve a failure. Files are read strictly (encoding
    /// detected, a stray or unclosed quote or a row wider than its header is an <see cref="HandiImaging.Core.IO.InputFormatException"/>),
    /// since a misread row could resolve the wrong failure.
    /// </remarks>
    public sealed class XnatSessionIndex
    {
        private readonly HashSet<string> _uids = new HashSet<string>(StringComparer.Ordinal);
        private readonly HashSet<string> _labels = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private readonly List<string> _filesRead = new List<string>();
        private readonly List<string> _missing = new List<string>();

        public IReadOnlyList<string> FilesRead => _filesRead;
        /// <summary>Session files (e.g. "SR.csv") not present in the folder.</summary>
        public IReadOnlyList<string> MissingFiles => _missing;
        public int Sessions { get; private set; }
        public int Uids => _uids.Count;

        /// <summary>True when XNAT holds the study: by UID, else by accession number = session label.</summary>
        public bool Holds(string studyInstanceUid, string accessionNumber)
        {
            var uid = studyInstanceUid.Trim();
            if (uid.Length > 0 && _uids.Contains(uid)) return true;
            var accession = accessionNumber.Trim();
            return accession.Length > 0 && _labels.Contains(accession);
        }

        /// <summary>Reads whichever of the eight exports are in <paramref name="folder"/> (see <see cref="XnatSessionExports.Locate"/>).</summary>
        public static XnatSessionIndex Load(string folder)
        {
            var index = new XnatSessionIndex();
            foreach (var export in XnatSessionExports.Locate(folder))
            {
                if (export.Path is null)
                {
                    index._missing.Add(export.FileName);
                    continue;
                }
                using var reader = TextFileEncoding.OpenReader(export.Path, out _);
                index.Add(reader, export.Path);
            }
            return index;
        }

        /// <summary>
        /// Adds sessions listed by XNAT itself (<see cref="XnatSessionLister"/>): their StudyInstanceUIDs, labels and
        /// accession numbers. The exports alone cannot resolve an MR failure (MR.csv has neither a UID nor the label)
        /// nor, when written over REST, CR/RF/SR/XA ones (column 3 is then XNAT's experiment ID, not the label).
        /// </summary>
        public void Add(IEnumerable<XnatSession> sessions, string source)
        {
            _filesRead.Add(source);
            foreach (var session in sessions)
            {
                Sessions++;
                if (session.StudyInstanceUid.Trim().Length > 0) _uids.Add(session.StudyInstanceUid.Trim());
                if (session.Label.Trim().Length > 0) _labels.Add(session.Label.Trim());
                if (session.AccessionNumber.Trim().Length > 0) _labels.Add(session.AccessionNumber.Trim());
            }
        }

        /// <summary>
        /// Adds one session export (header row first). Read strictly (<see cref="CsvStrict"/>): a row misread
        /// because of a stray quote or comma could resolve the wrong failure, so it is an error naming the line.
        /// </summary>
        public void Add(TextReader reader, string source)
        {
            _filesRead.Add(source);
            using var parser = new CsvParser(reader, CsvStrict.Configuration(source));
            if (!parser.Read()) return; // empty export: no sessions of this type
            var headerLine = CsvStrict.StartLine(parser.RawRecord, parser.RawRow);
            CsvStrict.CheckQuotes(parser.RawRecord, headerLine, source, 0);
            var header = parser.Record ?? new string[0];
            CsvSchema.CheckPositional(source, headerLine, header, new[] { "Subject", "Date", "ID" });
            var uidColumn = -1;
            for (var i = 0; i < header.Length; i++)
            {
                if (string.Equals(header[i].Trim(), "UID", StringComparison.OrdinalIgnoreCase)) uidColumn = i;
            }
            var previousEnd = parser.RawRow;
            while (CsvStrict.Read(parser, source, previousEnd, header.Length))
            {
                if (parser.Count > header.Length) CsvStrict.CheckWidth(parser, source, CsvStrict.StartLine(parser.RawRecord, parser.RawRow), header.Length);
                previousEnd = parser.RawRow;
                Sessions++;
                if (parser.Count > 2)
                {
                    var label = parser[2].Trim();
                    if (label.Length > 0) _labels.Add(label);
                }
                if (uidColumn >= 0 && parser.Count > uidColumn)
                {
                    var uid = parser[uidColumn].Trim();
                    if (uid.Length > 0) _uids.Add(uid);
                }
            }
        }
    }
}
