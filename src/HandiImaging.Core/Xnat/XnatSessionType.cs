using System;
using System.Collections.Generic;
using System.Linq;

namespace HandiImaging.Core.Xnat
{
    /// <summary>
    /// One of the session types the procedure uses: its short name (MR, CT, …), XNAT's xsiType(s) (PET also
    /// covers PET/MR), and the session-summary export's header and columns 4 and 5.
    /// </summary>
    public sealed class XnatSessionType
    {
        private XnatSessionType(string name, string[] xsiTypes, string idHeader, string column4Header, XnatSummaryColumn column4, string column5Header, XnatSummaryColumn column5)
        {
            Name = name;
            XsiTypes = xsiTypes;
            Header = new[] { "Subject", "Date", idHeader, column4Header, column5Header };
            Column4 = column4;
            Column5 = column5;
        }

        public string Name { get; }

        /// <summary>
        /// XNAT's xsiTypes for this name; a listing asks for one xsiType at a time (a comma list is ignored by XNAT).
        /// PET is xnat:petSessionData alone: xnat:petmrSessionData extends it, so its listing already holds PET/MR
        /// sessions, and asking for both would list those twice.
        /// </summary>
        public IReadOnlyList<string> XsiTypes { get; }

        /// <summary>The export file's header (domain.md): Subject, Date, the ID column, then columns 4 and 5.</summary>
        public IReadOnlyList<string> Header { get; }

        public XnatSummaryColumn Column4 { get; }

        public XnatSummaryColumn Column5 { get; }

        public string FileName => Name + ".csv";

        public static readonly IReadOnlyList<XnatSessionType> All = new[]
        {
            new XnatSessionType("MR", new[] { "xnat:mrSessionData" }, "MR ID", "Scanner", XnatSummaryColumn.Scanner, "Scans", XnatSummaryColumn.ScanCount),
            new XnatSessionType("CT", new[] { "xnat:ctSessionData" }, "XNAT_CTSESSIONDATA ID", "UID", XnatSummaryColumn.StudyInstanceUid, "Scans", XnatSummaryColumn.ScanCount),
            new XnatSessionType("PET", new[] { "xnat:petSessionData" }, "XNAT_PETSESSIONDATA ID", "UID", XnatSummaryColumn.StudyInstanceUid, "Scans", XnatSummaryColumn.ScanCount),
            new XnatSessionType("CR", new[] { "xnat:crSessionData" }, "XNAT_CRSESSIONDATA ID", "ID", XnatSummaryColumn.Label, "Session", XnatSummaryColumn.Label),
            new XnatSessionType("DX", new[] { "xnat:dxSessionData" }, "XNAT_DXSESSIONDATA ID", "UID", XnatSummaryColumn.StudyInstanceUid, "Scans", XnatSummaryColumn.ScanCount),
            new XnatSessionType("RF", new[] { "xnat:rfSessionData" }, "XNAT_RFSESSIONDATA ID", "ID", XnatSummaryColumn.Label, "Session", XnatSummaryColumn.Label),
            new XnatSessionType("SR", new[] { "xnat:srSessionData" }, "XNAT_SRSESSIONDATA ID", "ID", XnatSummaryColumn.Label, "Creator", XnatSummaryColumn.Creator),
            new XnatSessionType("XA", new[] { "xnat:xaSessionData" }, "XNAT_XASESSIONDATA ID", "ID", XnatSummaryColumn.Label, "Creator", XnatSummaryColumn.Creator),
            new XnatSessionType("NM", new[] { "xnat:nmSessionData" }, "XNAT_NMSESSIONDATA ID", "UID", XnatSummaryColumn.StudyInstanceUid, "Scans", XnatSummaryColumn.ScanCount),
            new XnatSessionType("US", new[] { "xnat:usSessionData" }, "XNAT_USSESSIONDATA ID", "UID", XnatSummaryColumn.StudyInstanceUid, "Scans", XnatSummaryColumn.ScanCount),
        };

        /// <summary>The eight types of the session summary, in XnatSessionExports' order.</summary>
        public static IReadOnlyList<XnatSessionType> Summary { get; } = XnatSessionExports.Types.Select(Get).ToList();

        public static IReadOnlyList<string> Names { get; } = All.Select(t => t.Name).ToList();

        public static XnatSessionType Get(string name) =>
            All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown session type '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name));

        public override string ToString() => Name;
    }

    /// <summary>What a session-summary column holds.</summary>
    public enum XnatSummaryColumn
    {
        Scanner,
        StudyInstanceUid,
        Label,
        ScanCount,
        Creator,
    }
}
