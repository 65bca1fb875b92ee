using System;
using System.IO;
using HandiImaging.Core.Runbook;

namespace HandiImaging.Core.Tests.Runbook;

public sealed class RunFolderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "handi-runs-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public void The_journal_survives_a_torn_last_line_and_keeps_timestamps_as_written()
    {
        var folder = RunFolder.Create(_root, new DateTime(2025, 1, 6, 2, 0, 0));
        Assert.Equal("run-20250106-020000", folder.Id);
        folder.Log("Run", "start", new System.Collections.Generic.Dictionary<string, object?> { ["asOf"] = "2025-01-06" });
        folder.Log("Cohort", "done", new System.Collections.Generic.Dictionary<string, object?> { ["counts"] = new { Patients = 3 } });
        File.AppendAllText(folder.File(RunFolder.LogFile), "{\"step\":\"Query\",\"ev");
        var done = folder.CompletedSteps();
        Assert.Single(done);
        Assert.Equal(3, (int)done["Cohort"]["counts"]!["Patients"]!);
        Assert.Equal(new DateTime(2025, 1, 6), folder.StartedAsOf());
        Assert.True((DateTime.UtcNow - folder.StartedAt()).TotalMinutes < 5);
        Assert.Equal(folder.Path, RunFolder.FindUnfinished(_root)!.Path);
        Assert.Equal("run-20250106-020000-2", RunFolder.Create(_root, new DateTime(2025, 1, 6, 2, 0, 0)).Id);
    }

    [Fact]
    public void A_completed_step_keeps_the_warnings_of_its_last_attempt_only()
    {
        var folder = RunFolder.Create(_root, new DateTime(2025, 1, 6, 2, 0, 0));
        void Warn(string step, string message) => folder.Log(step, "warning", new System.Collections.Generic.Dictionary<string, object?> { ["message"] = message });
        folder.Log("Query", "start");
        Warn("Query", "P1: first attempt");   // the run crashed before Query's done line
        folder.Log("Query", "start");
        Warn("Query", "P1: may still be truncated");
        folder.Log("Query", "done");
        folder.Log("Select", "start");
        Warn("Select", "not finished");
        var warnings = folder.CompletedStepWarnings();
        Assert.Equal(new[] { "Query" }, warnings.Keys);
        Assert.Equal(new[] { "P1: may still be truncated" }, warnings["Query"]);
    }

    [Fact]
    public void Import_history_settles_a_study_once_it_has_an_outcome()
    {
        Directory.CreateDirectory(_root);
        var history = ImportHistory.Load(_root);
        history.Append(new ImportRecord { Run = "r1", StudyInstanceUid = "1.2.3", Outcome = ImportOutcome.Sending });
        Assert.False(history.IsSettled("1.2.3"));
        history.Append(new ImportRecord { Run = "r1", StudyInstanceUid = "1.2.3", Outcome = ImportOutcome.Interrupted });
        Assert.False(ImportHistory.Load(_root).IsSettled("1.2.3"));
        history.Append(new ImportRecord { Run = "r1", StudyInstanceUid = "1.2.3", Outcome = ImportOutcome.Sending });
        history.Append(new ImportRecord { Run = "r1", StudyInstanceUid = "1.2.3", Outcome = ImportOutcome.Imported });
        File.AppendAllText(Path.Combine(_root, ImportHistory.FileName), "{\"Run\":\"r2\",\"StudyIns");
        var reloaded = ImportHistory.Load(_root);
        Assert.True(reloaded.IsSettled("1.2.3"));
        Assert.Equal(2, ImportHistory.RequestCounts(_root)["1.2.3"]);
    }
}
