using System;
using System.Collections;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using HandiImaging.Core.Runbook;

namespace HandiImaging.Commands
{
    /// <summary>Runs the whole quarterly Updating-from-PACS procedure unattended, from one configuration file.</summary>
    /// <remarks>
    /// <para>Invoke-HandiPacsUpdate reads a PowerShell data file (.psd1, see examples/HandiImaging.config.psd1; read
    /// like Import-PowerShellDataFile: constants only, no code runs) and runs the SOP's steps in order: import the
    /// cohort (deceased patients left out), query PACS per patient over its window, classify the studies against the
    /// include/exclude list (unknown descriptions go to a review workbook), plan the imports (studies an earlier run
    /// already imported are skipped), ingest (C-MOVE to XNAT's receiver, or hand-over to the ingestion team), copy
    /// XNAT's session exports, record failures in the ledger and resolve those now in XNAT, merge the master summary,
    /// and finally move each completed patient's watermark (New to Existing, LastQueried = -AsOf).</para>
    /// <para>Each run writes a folder under the configured RunRoot (run-yyyyMMdd-HHmmss): the config used, every step's
    /// output, the review workbook, import plan and results, ledger snapshot, session CSVs, master summary, log.jsonl
    /// (step, counts, durations, warnings) and result.json. The result's ExitCode is for Task Scheduler: 0 success,
    /// 1 failed, 2 completed with problems (patients not queried, PACS answers with warnings, review items, studies not
    /// sent, no exports), 3 another run holds the lock.</para>
    /// <para>A run that dies is resumed by the next run (or -Resume): finished steps are not repeated, the ledger and
    /// cohort are each written once, and every import request is journalled first so no study is requested twice.
    /// In HandOver mode the run stops after writing the hand-over list (status AwaitingHandOver); give the ingestion
    /// team's failure text with -Resume and -FailurePath to finish it.</para>
    /// <para>The configuration never holds a password: a key such as Password or Secret is refused. The XNAT credential
    /// is -Credential or a file written by Export-Clixml (Xnat.CredentialPath; DPAPI-protected on Windows).</para>
    /// </remarks>
    /// <example>
    /// <code>Invoke-HandiPacsUpdate -ConfigPath D:\Handi\HandiImaging.config.psd1 -WhatIf</code>
    /// <para>Rehearses the run: imports the cohort, queries PACS, classifies and plans, and reports what would be imported, without changing anything.</para>
    /// </example>
    /// <example>
    /// <code>$run = Invoke-HandiPacsUpdate -ConfigPath ./HandiImaging.config.psd1; exit $run.ExitCode</code>
    /// <para>Runs the quarter and exits with the code Task Scheduler records.</para>
    /// </example>
    /// <example>
    /// <code>Invoke-HandiPacsUpdate -ConfigPath ./HandiImaging.config.psd1 -Resume D:\Handi\runs\run-20250106-020000 -FailurePath ./PACs-failures.txt</code>
    /// <para>Finishes a hand-over run with the failure text the ingestion team returned.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Invoke, "HandiPacsUpdate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(HandiRunResult))]
    public sealed class InvokeHandiPacsUpdateCommand : HandiCmdlet
    {
        /// <summary>The runbook configuration: a PowerShell data file (.psd1).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        public string ConfigPath { get; set; } = "";

        /// <summary>The XNAT credential (user name and password, or an alias token's alias and secret); overrides Xnat.CredentialPath.</summary>
        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>A run folder to finish: a hand-over run awaiting its failure text, or a run that died or failed.</summary>
        [Parameter]
        public string? Resume { get; set; }

        /// <summary>Hand-over mode: the failure text the ingestion team returned (any of its shapes); finishes the run given with -Resume.</summary>
        [Parameter]
        public string? FailurePath { get; set; }

        /// <summary>The date the run acts as of: the end of every query window and the new LastQueried. Default today; a resumed run keeps its own.</summary>
        [Parameter]
        public DateTime AsOf { get; set; } = DateTime.Today;

        protected override void EndProcessing()
        {
            var configPath = ResolveExistingFile(ConfigPath, false, "ConfigPath");
            RunbookConfig config;
            try { config = RunbookConfig.FromDictionary(ReadDataFile(configPath), configPath); }
            catch (RunbookConfigException ex) { Fail(ex, "InvalidRunbookConfig", ErrorCategory.InvalidData, configPath); return; }

            var request = new PacsUpdateRequest(config) { AsOf = AsOf.Date };
            if (Resume != null) request.ResumeFolder = ResolveExistingFolder(Resume, "Resume", "ResumeNotAFolder", "the run to finish");
            if (FailurePath != null)
            {
                if (config.Mode != IngestionMode.HandOver)
                    Fail(new ArgumentException($"-FailurePath is for HandOver mode; {configPath} sets Ingestion.Mode {config.Mode}."), "FailurePathNotHandOver", ErrorCategory.InvalidArgument, FailurePath);
                request.FailurePath = ResolveExistingFile(FailurePath, true, "FailurePath");
            }
            request.CredentialSource = CredentialSource(config, out var credential);
            request.XnatCredential = credential?.GetNetworkCredential();
            request.WhatIf = !ShouldProcess(configPath, Resume != null ? $"Finish the run in {Resume}" : "Run the quarterly PACS update");

            var run = new PacsUpdateRun(request, step => WriteProgress(new ProgressRecord(1, "Invoke-HandiPacsUpdate", step)));
            var result = run.Run(StopToken);
            WriteProgress(new ProgressRecord(1, "Invoke-HandiPacsUpdate", "done") { RecordType = ProgressRecordType.Completed });
            foreach (var problem in result.Problems) WriteWarning(problem);
            if (result.Error != null)
                WriteError(new ErrorRecord(new InvalidOperationException(result.Error), result.Status == RunStatus.Locked ? "RunbookLocked" : "RunbookStepFailed",
                    result.Status == RunStatus.Locked ? ErrorCategory.ResourceBusy : ErrorCategory.NotSpecified, result.RunFolder));
            WriteVerbose($"Run {result.RunId}: {result.Status}, exit code {result.ExitCode.ToString(CultureInfo.InvariantCulture)}, {result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s; folder {result.RunFolder}");
            WriteObject(result);
        }

        /// <summary>
        /// Reads a .psd1 the way Import-PowerShellDataFile does: parsed, never run; only constants (SafeGetValue
        /// refuses variables, sub-expressions and commands).
        /// </summary>
        private IDictionary ReadDataFile(string path)
        {
            var ast = Parser.ParseFile(path, out _, out var errors);
            if (errors.Length > 0)
                throw new RunbookConfigException(path, "line " + errors[0].Extent.StartLineNumber.ToString(CultureInfo.InvariantCulture), errors[0].Message);
            var tables = ast.FindAll(a => a is HashtableAst, false).Cast<HashtableAst>().ToList();
            var top = tables.FirstOrDefault(t => !tables.Any(o => o != t && o.Extent.StartOffset <= t.Extent.StartOffset && o.Extent.EndOffset >= t.Extent.EndOffset));
            if (top == null) throw new RunbookConfigException(path, "(file)", "the file holds no @{ ... } hashtable");
            try
            {
                return (IDictionary)top.SafeGetValue();
            }
            catch (InvalidOperationException ex)
            {
                throw new RunbookConfigException(path, "line " + FirstUnsafe(top).ToString(CultureInfo.InvariantCulture), "only constants are allowed in a configuration file (no variables, expressions or commands): " + ex.Message);
            }
        }

        private static int FirstUnsafe(HashtableAst top)
        {
            var bad = top.Find(a => a is VariableExpressionAst || a is SubExpressionAst || a is CommandAst || a is InvokeMemberExpressionAst, true);
            return bad?.Extent.StartLineNumber ?? top.Extent.StartLineNumber;
        }

        /// <summary>Where the XNAT credential comes from, for the config copy in the run folder. Loads (and so checks) the credential file.</summary>
        private string CredentialSource(RunbookConfig config, out PSCredential? credential)
        {
            credential = Credential;
            if (Credential != null) return $"-Credential ({config.XnatCredentialType}, user {Credential.UserName})";
            if (config.XnatCredentialPath == null) return "none";
            try
            {
                credential = PSSerializer.Deserialize(File.ReadAllText(config.XnatCredentialPath)) switch
                {
                    PSCredential c => c,
                    PSObject { BaseObject: PSCredential c } => c,
                    _ => null,
                };
            }
            catch (Exception ex) when (ex is IOException || ex is System.Xml.XmlException || ex is PSInvalidCastException || ex is System.Security.Cryptography.CryptographicException)
            {
                Fail(new RunbookConfigException(config.ConfigPath, "Xnat.CredentialPath", $"{config.XnatCredentialPath} cannot be read as a credential ({ex.Message}); write it with Get-Credential | Export-Clixml as the account that runs the task"),
                    "InvalidRunbookConfig", ErrorCategory.InvalidData, config.XnatCredentialPath);
                return "";
            }
            if (credential == null)
                Fail(new RunbookConfigException(config.ConfigPath, "Xnat.CredentialPath", $"{config.XnatCredentialPath} does not hold a PSCredential; write it with Get-Credential | Export-Clixml"),
                    "InvalidRunbookConfig", ErrorCategory.InvalidData, config.XnatCredentialPath);
            return $"{config.XnatCredentialPath} ({config.XnatCredentialType}, user {credential!.UserName})";
        }
    }
}
