using System;
using System.Collections.Generic;

namespace HandiImaging.Core.Runbook
{
    /// <summary>How a run ended. Each maps to one exit code for Task Scheduler.</summary>
    public enum RunStatus
    {
        /// <summary>Every step ran and nothing needs anyone (exit 0).</summary>
        Completed,
        /// <summary>Every step ran, but something needs an admin: patients not queried, review items, a High failure rate, studies not sent, missing exports (exit 2).</summary>
        CompletedWithProblems,
        /// <summary>Hand-over mode: the run stopped after selection with the hand-over list; finish it with -Resume (exit 0).</summary>
        AwaitingHandOver,
        /// <summary>A step failed; nothing after it ran (exit 1). Re-running resumes at that step.</summary>
        Failed,
        /// <summary>Another run holds the run root's lock; this one did nothing (exit 3).</summary>
        Locked,
        /// <summary>-WhatIf: only the read-only steps ran (exit 0, or 2 with problems).</summary>
        WhatIf,
    }

    /// <summary>One step as the run report and the log show it.</summary>
    public sealed class RunStepSummary
    {
        public string Name { get; set; } = "";
        /// <summary>Done, Resumed (done by an earlier attempt of this run), Skipped, Failed, Waiting.</summary>
        public string State { get; set; } = "";
        public double Seconds { get; set; }
        public Dictionary<string, long> Counts { get; set; } = new Dictionary<string, long>(StringComparer.Ordinal);
        public List<string> Warnings { get; set; } = new List<string>();
    }

    /// <summary>What Invoke-HandiPacsUpdate returns: where the run folder is, how it ended, and the key numbers.</summary>
    public sealed class HandiRunResult
    {
        public string RunId { get; set; } = "";
        public string RunFolder { get; set; } = "";
        public RunStatus Status { get; set; }
        /// <summary>0 success, 1 failed, 2 completed with problems, 3 another run holds the lock.</summary>
        public int ExitCode { get; set; }
        public IngestionMode Mode { get; set; }
        public DateTime AsOf { get; set; }
        public int Patients { get; set; }
        public int Deceased { get; set; }
        public int NotQueried { get; set; }
        public int Studies { get; set; }
        public int Included { get; set; }
        public int Review { get; set; }
        /// <summary>Studies to import this run (Include, not imported before).</summary>
        public int Planned { get; set; }
        /// <summary>Included studies skipped because an earlier run already imported, handed over or recorded them.</summary>
        public int AlreadyImported { get; set; }
        public int Imported { get; set; }
        public int Failed { get; set; }
        /// <summary>Studies whose import could not be requested (network); retried by the next run.</summary>
        public int NotSent { get; set; }
        public int LedgerOpen { get; set; }
        public int LedgerResolved { get; set; }
        public int PatientsRecorded { get; set; }
        /// <summary>Groups whose failure rate is High against the baseline (the alarm).</summary>
        public int HighFailureRates { get; set; }
        /// <summary>The master summary's version in the EDW drop folder.</summary>
        public string? PublishedPath { get; set; }
        public string? HandOverPath { get; set; }
        public string? SummaryPath { get; set; }
        public string? ReviewPath { get; set; }
        public string? ReportPath { get; set; }
        public List<string> Problems { get; set; } = new List<string>();
        public string? Error { get; set; }
        public List<RunStepSummary> Steps { get; set; } = new List<RunStepSummary>();
        public TimeSpan Duration { get; set; }

        public static int ExitCodeFor(RunStatus status, bool problems) => status switch
        {
            RunStatus.Failed => 1,
            RunStatus.Locked => 3,
            _ => problems ? 2 : 0,
        };
    }
}
