using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Commands
{
    /// <summary>Lists the image sessions of an XNAT project.</summary>
    /// <remarks>
    /// <para>Get-XnatSession lists a project's sessions with the project-scoped listing
    /// (/data/projects/P/experiments), which also returns sessions shared into the project, under their labels
    /// there. XNAT takes one session type per request, so each -Type is one request (PET is two: PET and PET/MR).
    /// Results stream as they arrive.</para>
    /// <para>Each XnatSession has Subject, Date, Id (XNAT's experiment ID), Label (the accession number for
    /// sessions this module imported), StudyInstanceUid, AccessionNumber, Scanner, Modality, ScanCount, Type,
    /// Creator and InsertDate. XNAT silently drops columns it does not know; an answer without every column
    /// asked for is an error (XnatColumnMissing), never a blank value.</para>
    /// <para>-IncludeScanCount adds one request for the whole project (one row per scan, grouped by session),
    /// not one per session. -StudyInstanceUid narrows the listing to those studies (also from the pipeline, by
    /// property name, e.g. PacsStudy or failure rows).</para>
    /// </remarks>
    /// <example>
    /// <code>Get-XnatSession -Connection $xnat -Project RT-HaND -Type MR -IncludeScanCount | Format-Table</code>
    /// <para>Lists the project's MR sessions with their scan counts.</para>
    /// </example>
    /// <example>
    /// <code>Get-IngestFailure ./failure-ledger.csv -Status Open | Get-XnatSession -Connection $xnat -Project RT-HaND</code>
    /// <para>Shows which of the open failures XNAT now holds.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Get, "XnatSession")]
    [OutputType(typeof(XnatSession))]
    public sealed class GetXnatSessionCommand : XnatCmdlet
    {
        private readonly List<string> _uids = new List<string>();
        private bool _uidsGiven;

        /// <summary>The connection from Connect-Xnat.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNull]
        public XnatConnection Connection { get; set; } = null!;

        /// <summary>The XNAT project ID.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Project { get; set; } = "";

        /// <summary>Session types to list (MR, CT, PET, CR, DX, RF, SR, XA, NM, US); all of them by default.</summary>
        [Parameter(Position = 1)]
        [ValidateSet("MR", "CT", "PET", "CR", "DX", "RF", "SR", "XA", "NM", "US", IgnoreCase = true)]
        public string[]? Type { get; set; }

        /// <summary>Only sessions of these studies. Binds by property name (StudyInstanceUid or UID).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("UID")]
        [AllowEmptyCollection]
        public string[]? StudyInstanceUid { get; set; }

        /// <summary>Fill in ScanCount, from one per-scan listing of the whole project.</summary>
        [Parameter]
        public SwitchParameter IncludeScanCount { get; set; }

        protected override void ProcessRecord()
        {
            if (StudyInstanceUid == null) return;
            _uidsGiven = true;
            _uids.AddRange(StudyInstanceUid.Where(u => !string.IsNullOrWhiteSpace(u)));
        }

        protected override void EndXnat()
        {
            Attach(Connection);
            var types = (Type == null || Type.Length == 0 ? XnatSessionType.All : Type.Select(XnatSessionType.Get)).ToList();
            var lister = new XnatSessionLister(Connection);
            var count = 0;
            try
            {
                foreach (var session in lister.GetSessions(Project, types, _uidsGiven ? _uids : null, IncludeScanCount, StopToken))
                {
                    WriteObject(session);
                    if (++count % 1000 == 0) FlushLog();
                }
            }
            catch (XnatException ex)
            {
                FailXnat(ex, Project);
            }
            WriteVerbose($"{count} session(s) in {Project}.");
        }
    }
}
