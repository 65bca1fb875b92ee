using System;
using System.IO;
using System.Management.Automation;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Commands
{
    /// <summary>Writes the project's eight session lists (CT.csv … XA.csv) for the master summary.</summary>
    /// <remarks>
    /// <para>Export-XnatSessionSummary writes the files the admins used to download from XNAT's web pages, one per
    /// session type, into a folder: MR.csv (Subject, Date, MR ID, Scanner, Scans), CT.csv, PET.csv and DX.csv
    /// (Subject, Date, XNAT_&lt;TYPE&gt;SESSIONDATA ID, UID, Scans), CR.csv and RF.csv (…, ID, Session: the
    /// session label twice) and SR.csv and XA.csv (…, ID, Creator). Column 3 is XNAT's experiment ID. Dates are
    /// yyyy-MM-dd. Merge-XnatSummary and Update-IngestFailure read the folder as it is.</para>
    /// <para>It sends one listing request per type (PET: two, for PET and PET/MR sessions) and one per-scan
    /// listing for the whole project, from which the scan counts come (a session without scans counts 0), never
    /// one request per session. Nothing in the folder is replaced until all eight files are complete; then each
    /// replaces its predecessor in one step, the previous one kept as .bak.</para>
    /// </remarks>
    /// <example>
    /// <code>Export-XnatSessionSummary -Connection $xnat -Project RT-HaND -Path ./2024-09-30</code>
    /// <para>Writes this quarter's session lists into a dated folder.</para>
    /// </example>
    /// <example>
    /// <code>Export-XnatSessionSummary -Connection $xnat -Project RT-HaND -Path ./export; Merge-XnatSummary ./export ./reference_dates.csv -FailurePath ./failure-ledger.csv -OutputPath ./summary.csv</code>
    /// <para>Exports, then merges the master summary.</para>
    /// </example>
    [Cmdlet(VerbsData.Export, "XnatSessionSummary", SupportsShouldProcess = true)]
    [OutputType(typeof(XnatSessionSummaryResult))]
    public sealed class ExportXnatSessionSummaryCommand : XnatCmdlet
    {
        /// <summary>The connection from Connect-Xnat.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNull]
        public XnatConnection Connection { get; set; } = null!;

        /// <summary>The XNAT project ID.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Project { get; set; } = "";

        /// <summary>The folder to write the eight CSV files into; created when missing.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        protected override void EndXnat()
        {
            var folder = ResolveOutputPath(Path);
            if (File.Exists(folder))
                Fail(new IOException($"-Path {folder} is a file; give a folder."), "SummaryPathIsFile", ErrorCategory.InvalidArgument, Path);
            if (!ShouldProcess(folder, $"Write the session lists of XNAT project {Project} ({string.Join(", ", XnatSessionExports.Types)}.csv)")) return;
            Attach(Connection);
            var progress = new ProgressRecord(1, $"Exporting the sessions of {Project}", "starting");
            var step = 0;
            try
            {
                var result = new XnatSessionSummaryExporter(Connection).Export(Project, folder, StopToken, new InlineProgress<string>(name =>
                {
                    FlushLog();
                    progress.StatusDescription = name;
                    progress.PercentComplete = Math.Min(100, step++ * 100 / (XnatSessionType.Summary.Count + 1));
                    WriteProgress(progress);
                }));
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
                WriteObject(result);
            }
            catch (XnatException ex)
            {
                FailXnat(ex, Project);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                Fail(ex, "SummaryWriteFailed", CategoryOf(ex), folder);
            }
        }
    }

    /// <summary>An IProgress that reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool, where a cmdlet cannot write).</summary>
    internal sealed class InlineProgress<T> : IProgress<T>
    {
        private readonly Action<T> _report;

        public InlineProgress(Action<T> report) => _report = report;

        public void Report(T value) => _report(value);
    }
}
