using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace HandiImaging.XnatDouble.Dqr;

/// <summary>
/// DQR's dequeuer and receiver side (xnat-sources.md §5.5). Each <see cref="StepAsync"/> moves every eligible
/// request one stage, queue in priority order (1 before 10) then queued time:
/// QUEUED → PROCESSING; PROCESSING → a new history row ISSUED (queue entry deleted) or FAILED (entry back to
/// QUEUED after the retry wait, dropped after the last attempt); ISSUED → RECEIVED when the study's data reaches
/// a custom-processing receiver within the receive window, which archives a session whose scans are the study's
/// series (or leaves a prearchive row: CONFLICT for a duplicate, READY without auto-archive). Otherwise ISSUED for ever.
/// </summary>
public sealed class DqrEngine : IAsyncDisposable
{
    private readonly XnatState _state;
    private readonly SemaphoreSlim _stepLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _timer;

    internal DqrEngine(XnatState state) => _state = state;

    internal void Start()
    {
        if (_state.Options.Dqr.Automatic) _timer = Task.Run(RunTimerAsync);
    }

    private async Task RunTimerAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_state.Options.Dqr.StepInterval, _stop.Token);
                await StepAsync(_stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Moves every eligible request one stage; returns how many changed.</summary>
    public async Task<int> StepAsync(CancellationToken ct = default)
    {
        await _stepLock.WaitAsync(ct);
        try
        {
            var changed = 0;
            List<IssuedState> toReceive;
            lock (_state.Sync)
            {
                var now = _state.Clock.Now;
                var options = _state.Options.Dqr;
                // Requests issued by an earlier step may now be received (never in the step that issued them).
                toReceive = _state.Issued.ToList();
                _state.Issued.Clear();
                foreach (var entry in _state.Queue.OrderBy(e => e.Request.Priority).ThenBy(e => e.Request.QueuedTime).ThenBy(e => e.Request.Id).ToList())
                {
                    var request = entry.Request;
                    if (request.Status == PacsRequest.QueuedStatus && entry.NotBefore <= now)
                    {
                        request.Status = PacsRequest.ProcessingStatus;
                        request.Timestamp = now.ToUnixTimeMilliseconds();
                        changed++;
                    }
                    else if (request.Status == PacsRequest.ProcessingStatus)
                    {
                        Execute(entry, now, options);
                        changed++;
                    }
                }
            }
            foreach (var issued in toReceive)
            {
                if (await ReceiveAsync(issued, ct)) changed++;
            }
            return changed;
        }
        finally
        {
            _stepLock.Release();
        }
    }

    /// <summary>
    /// Steps until nothing moves, moving the clock past retry waits: every request ends RECEIVED, FAILED (all
    /// attempts) or stuck in ISSUED. For manual mode; returns the number of steps taken.
    /// </summary>
    public async Task<int> RunUntilIdleAsync(CancellationToken ct = default)
    {
        var steps = 0;
        while (true)
        {
            var changed = await StepAsync(ct);
            steps++;
            if (changed > 0) continue;
            DateTimeOffset? next;
            lock (_state.Sync)
            {
                next = _state.Queue.Where(e => e.Request.Status == PacsRequest.QueuedStatus).Select(e => (DateTimeOffset?)e.NotBefore).Min();
            }
            if (next is null) return steps;
            var wait = next.Value - _state.Clock.Now;
            if (wait > TimeSpan.Zero) _state.Clock.Advance(wait + TimeSpan.FromMilliseconds(1));
            if (steps > 10_000) throw new InvalidOperationException("DQR did not settle after 10,000 steps.");
        }
    }

    /// <summary>PROCESSING → a new history row: ISSUED (C-MOVE sent, queue entry deleted) or FAILED (retried later).</summary>
    private void Execute(QueueEntryState entry, DateTimeOffset now, DqrOptions options)
    {
        var request = entry.Request;
        var ms = now.ToUnixTimeMilliseconds();
        var history = request.Clone();
        history.Id = _state.NextHistoryId();
        history.Created = ms;
        history.Timestamp = ms;
        history.ExecutedTime = ms;
        history.SeriesIds = new List<string>(request.SeriesIds);
        // The version read does not copy patientId into the history row.
        history.PatientId = null;
        entry.Attempts++;
        var error = FailureOf(entry);
        _state.History.Add(history);
        if (error is null)
        {
            history.Status = PacsRequest.IssuedStatus;
            _state.Queue.Remove(entry);
            _state.Issued.Add(new IssuedState { History = history, Entry = entry, IssuedAt = now });
            return;
        }
        history.Status = PacsRequest.FailedStatus;
        history.ErrorMessage = error;
        if (entry.Attempts >= options.MaxAttempts)
        {
            _state.Queue.Remove(entry);
            return;
        }
        request.Status = PacsRequest.QueuedStatus;
        request.Timestamp = ms;
        entry.NotBefore = now + options.RetryDelay;
    }

    private string? FailureOf(QueueEntryState entry)
    {
        var request = entry.Request;
        var faults = _state.DqrFaults;
        var pacs = _state.Pacs.FirstOrDefault(p => p.Id == request.PacsId);
        if (pacs is null || !pacs.Queryable) return $"The PACS with ID {request.PacsId} is not queryable";
        var ae = request.DecodedAeAndPort;
        var hasPort = ae.Contains(':');
        if (!_state.Receivers.Any(r => r.Enabled && string.Equals(ae, hasPort ? $"{r.AeTitle}:{r.Port}" : r.AeTitle, StringComparison.OrdinalIgnoreCase)))
            return $"The AE {ae} is not storable: there is no enabled DICOM receiver with that AE title and port";
        if (faults.FailStudies.Contains(request.StudyInstanceUid) || InFailFraction(request.StudyInstanceUid, faults.FailFraction)
            || entry.Attempts <= faults.FailFirstAttempts)
            return faults.FailureMessage;
        return null;
    }

    private static bool InFailFraction(string uid, double fraction)
    {
        if (fraction <= 0) return false;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(uid));
        return BitConverter.ToUInt32(hash, 0) / (double)uint.MaxValue < fraction;
    }

    /// <summary>ISSUED → RECEIVED (and a session or prearchive row), unless the data never arrives.</summary>
    private async Task<bool> ReceiveAsync(IssuedState issued, CancellationToken ct)
    {
        var history = issued.History;
        PacsEntry? pacs;
        XnatReceiver? receiver;
        lock (_state.Sync)
        {
            var now = _state.Clock.Now;
            var faults = _state.DqrFaults;
            var ae = history.DecodedAeAndPort;
            receiver = _state.Receivers.FirstOrDefault(r => r.Enabled && string.Equals(ae, ae.Contains(':') ? $"{r.AeTitle}:{r.Port}" : r.AeTitle, StringComparison.OrdinalIgnoreCase));
            pacs = _state.Pacs.FirstOrDefault(p => p.Id == history.PacsId);
            // Stays ISSUED for ever: the data never comes, comes too late, or no archive processor marks it.
            if (faults.StuckAll || faults.StuckStudies.Contains(history.StudyInstanceUid) || receiver is not { CustomProcessing: true }
                || pacs is null || now - issued.IssuedAt > _state.Options.Dqr.ReceiveWindow)
                return false;
        }

        List<FoundSeries> series;
        FoundStudy? study;
        try
        {
            series = await PacsSide.FindSeriesAsync(pacs, history.StudyInstanceUid, ct);
            study = (await PacsSide.FindStudiesAsync(pacs, new StudyCriteria { StudyInstanceUid = history.StudyInstanceUid }, ct)).FirstOrDefault();
        }
        catch (HandiImaging.Dicom.DicomException)
        {
            return false;
        }
        if (study is null) return false;
        series = series.Where(s => history.SeriesIds.Contains(s.SeriesInstanceUid)).ToList();

        lock (_state.Sync)
        {
            var now = _state.Clock.Now;
            history.Status = PacsRequest.ReceivedStatus;
            history.Timestamp = now.ToUnixTimeMilliseconds();
            Archive(issued.Entry, study, series, now);
        }
        return true;
    }

    /// <summary>
    /// Puts a study of a PACS into a project as if it had been imported earlier (series C-FIND, the same labelling
    /// as a DQR import with <paramref name="subject"/> and <paramref name="session"/> as the relabel map), so a
    /// test's PACS and XNAT agree. Returns the archived session, or null when it went to the prearchive
    /// (CONFLICT for a study or label the project holds, READY without auto-archive). Throws when the PACS has no such study.
    /// </summary>
    public async Task<XnatExperiment?> ArchiveFromPacsAsync(long pacsId, string project, string studyInstanceUid,
        string? subject = null, string? session = null, string username = "admin", CancellationToken ct = default)
    {
        PacsEntry pacs;
        lock (_state.Sync)
        {
            pacs = _state.Pacs.FirstOrDefault(p => p.Id == pacsId) ?? throw new ArgumentException($"The double has no PACS with ID {pacsId}.", nameof(pacsId));
        }
        var study = (await PacsSide.FindStudiesAsync(pacs, new StudyCriteria { StudyInstanceUid = studyInstanceUid }, ct)).FirstOrDefault()
            ?? throw new ArgumentException($"PACS {pacsId} has no study {studyInstanceUid}.", nameof(studyInstanceUid));
        var series = await PacsSide.FindSeriesAsync(pacs, studyInstanceUid, ct);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (subject is not null) map["Subject"] = subject;
        if (session is not null) map["Session"] = session;
        var entry = new QueueEntryState { Request = new PacsRequest { XnatProject = project, Username = username, PacsId = pacsId, StudyInstanceUid = studyInstanceUid }, RelabelMap = map };
        lock (_state.Sync) return Archive(entry, study, series, _state.Clock.Now);
    }

    /// <summary>The DQR identifier with the relabel map applied: subject = PatientName, session = StudyID (or AccessionNumber).</summary>
    private XnatExperiment? Archive(QueueEntryState entry, FoundStudy study, List<FoundSeries> series, DateTimeOffset now)
    {
        var map = entry.RelabelMap;
        var patientName = map.GetValueOrDefault("Subject") ?? map.GetValueOrDefault("Relabel Patient Name") ?? study.PatientName;
        var patientId = map.GetValueOrDefault("Subject") ?? map.GetValueOrDefault("Relabel Patient ID") ?? study.PatientId;
        var studyId = map.GetValueOrDefault("Session") ?? map.GetValueOrDefault("Relabel Study ID") ?? study.StudyId;
        var accession = map.GetValueOrDefault("Session") ?? map.GetValueOrDefault("Relabel Accession Number") ?? study.AccessionNumber;
        var studyDate = map.GetValueOrDefault("Relabel Study Date") ?? study.StudyDate;
        var projectId = entry.Request.XnatProject;
        var subject = patientName.Length > 0 ? patientName : patientId;
        var label = studyId.Length > 0 ? studyId : accession;
        DateOnly? date = DateOnly.TryParseExact(studyDate, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
        var modalities = series.Select(s => s.Modality).Where(m => m.Length > 0).ToList();

        var project = _state.Projects.GetValueOrDefault(projectId);
        var timestamp = now.UtcDateTime.ToString("yyyyMMdd_HHmmssfff", CultureInfo.InvariantCulture);
        PrearchiveEntry Prearchive(string status) => new()
        {
            Project = project is null ? "Unassigned" : projectId,
            Timestamp = timestamp,
            FolderName = label,
            Name = label,
            Subject = subject,
            Tag = study.StudyInstanceUid,
            Status = status,
            Uploaded = now.UtcDateTime,
            LastModified = now.UtcDateTime,
            ScanDate = date,
            ScanTime = FormatTime(study.StudyTime),
        };
        if (project is null)
        {
            _state.Prearchive.Add(Prearchive("READY"));
            return null;
        }
        // Archiving a study whose UID (or label) the project already holds fails with 409 inside XNAT: the row stays CONFLICT.
        var conflict = _state.Experiments.Any(e => e.Project == projectId && (e.Uid == study.StudyInstanceUid || e.Label == label));
        if (conflict || !project.AutoArchive)
        {
            _state.Prearchive.Add(Prearchive(conflict ? "CONFLICT" : "READY"));
            return null;
        }
        var experiment = new XnatExperiment
        {
            Id = _state.NextExperimentId(),
            Project = projectId,
            Label = label,
            SubjectLabel = subject,
            XsiType = XnatTypes.SessionTypeFor(modalities),
            Date = date,
            Time = FormatTime(study.StudyTime),
            Uid = study.StudyInstanceUid,
            Modality = modalities.FirstOrDefault() ?? "",
            AccessionNumber = accession,
            DcmPatientId = patientId,
            DcmPatientName = patientName,
            StudyId = studyId,
            InsertUser = entry.Request.Username,
            InsertDate = now.UtcDateTime,
        };
        var number = 0;
        foreach (var s in series)
        {
            number++;
            experiment.Scans.Add(new XnatScan
            {
                Id = s.SeriesNumber.Length > 0 ? s.SeriesNumber : number.ToString(CultureInfo.InvariantCulture),
                Type = s.SeriesDescription,
                SeriesDescription = s.SeriesDescription,
                Uid = s.SeriesInstanceUid,
                Modality = s.Modality,
                XsiType = XnatTypes.ScanTypeFor(s.Modality),
                Frames = s.Instances,
            });
        }
        return _state.AddExperiment(experiment);
    }

    private static string FormatTime(string dicomTime) =>
        dicomTime.Length >= 6 && dicomTime[..6].All(char.IsAsciiDigit) ? $"{dicomTime[..2]}:{dicomTime[2..4]}:{dicomTime[4..6]}" : "";

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_timer is not null)
        {
            try { await _timer; } catch (OperationCanceledException) { }
        }
        _stop.Dispose();
    }
}
