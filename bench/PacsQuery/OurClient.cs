using System.Collections.Concurrent;
using System.Diagnostics;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Bench.PacsQuery;

/// <summary>What one run over the cohort measured.</summary>
public sealed record RunResult(
    string Name, int Queries, TimeSpan Elapsed, int Studies, int Failed, int Warnings, TimeSpan? ClientCpu, TimeSpan? PeerCpu,
    IReadOnlyDictionary<string, int> StudiesPerPatient, string? Note = null)
{
    public double QueriesPerSecond => Queries / Elapsed.TotalSeconds;
    public double? ClientCpuMsPerQuery => ClientCpu is { } cpu ? cpu.TotalMilliseconds / Queries : null;
    public double? PeerCpuMsPerQuery => PeerCpu is { } cpu ? cpu.TotalMilliseconds / Queries : null;
}

/// <summary>
/// Our client as Find-PacsStudy drives it: <see cref="StudyQueryRunner"/> over <see cref="DicomStudyQueryExecutor"/>,
/// one all-time query per patient (the cmdlet's return keys), N workers each reusing one association.
/// </summary>
public static class OurClient
{
    /// <param name="connection">Host, port, calling AE, ThrottleLimit; the called AE is <paramref name="calledAeFor"/> the patient.</param>
    public static async Task<RunResult> RunAsync(string name, PacsConnection connection, Func<string, string> calledAeFor,
        IReadOnlyList<string> patientIds, PeerCpu peerCpu, CancellationToken cancellationToken)
    {
        using var queue = new BlockingCollection<StudyQuery>();
        foreach (var id in patientIds) queue.Add(new StudyQuery { PatientId = id, DateRange = StudyDateRange.All }, cancellationToken);
        queue.CompleteAdding();
        var sink = new CountingSink();
        var associations = 0;
        var runner = new StudyQueryRunner(() => new RoutingExecutor(connection, calledAeFor, () => Interlocked.Increment(ref associations)), connection.ThrottleLimit,
            connection.MaxResultsPerQuery, DateTime.Today);

        // Start from a quiet heap so one run's garbage is not collected on the next one's clock.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var peerBefore = await peerCpu.ReadSettledAsync();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await runner.RunAsync(queue, sink, cancellationToken);
        clock.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var peer = await peerCpu.ReadSettledAsync() - peerBefore;
        return new RunResult(name, patientIds.Count, clock.Elapsed, sink.Studies, sink.Failures.Count, sink.Warnings, cpu, peer,
            sink.PerPatient, $"{associations} association(s)" + (sink.Failures.IsEmpty ? "" : "; first failure: " + sink.Failures.First()));
    }

    /// <summary>
    /// One <see cref="DicomStudyQueryExecutor"/> (one association) at a time, for the called AE holding the patient:
    /// the same executor query after query while the AE stays the same (always, on a PACS with one AE title).
    /// </summary>
    private sealed class RoutingExecutor : IStudyQueryExecutor
    {
        private readonly PacsConnection _connection;
        private readonly Func<string, string> _calledAeFor;
        private readonly Action _onOpen;
        private DicomStudyQueryExecutor? _executor;
        private string? _calledAe;

        public RoutingExecutor(PacsConnection connection, Func<string, string> calledAeFor, Action onOpen)
        {
            _connection = connection;
            _calledAeFor = calledAeFor;
            _onOpen = onOpen;
        }

        public Task<QueryCompleteness> QueryAsync(StudyQuery query, Action<PacsStudy> onStudy, Action<string> onWarning, CancellationToken cancellationToken) =>
            For(query.PatientId!).QueryAsync(query, onStudy, onWarning, cancellationToken);

        public Task<IReadOnlyList<string>> QueryModalitiesAsync(string studyInstanceUid, CancellationToken cancellationToken) =>
            throw new NotSupportedException("the benchmark does not resolve modalities");

        private DicomStudyQueryExecutor For(string patientId)
        {
            var ae = _calledAeFor(patientId);
            if (_executor != null && ae == _calledAe) return _executor;
            _executor?.Dispose();
            _calledAe = ae;
            _onOpen();
            return _executor = new DicomStudyQueryExecutor(new PacsConnection(_connection.HostName, _connection.Port, ae, _connection.CallingAeTitle)
            {
                TimeoutSeconds = _connection.TimeoutSeconds,
            });
        }

        public void Dispose() => _executor?.Dispose();
    }

    private sealed class CountingSink : IStudyQuerySink
    {
        private int _studies;
        private int _warnings;
        public readonly ConcurrentDictionary<string, int> PerPatient = new(StringComparer.Ordinal);
        public readonly ConcurrentQueue<string> Failures = new();
        public int Studies => Volatile.Read(ref _studies);
        public int Warnings => Volatile.Read(ref _warnings);

        public void OnStudy(StudyQuery query, PacsStudy study) => Interlocked.Increment(ref _studies);
        public void OnWarning(StudyQuery query, string message) => Interlocked.Increment(ref _warnings);
        public void OnNotice(StudyQuery query, string message) { }
        public void OnCompleted(StudyQuery query, int studyCount) => PerPatient[query.PatientId!] = studyCount;
        public void OnFailed(StudyQuery query, Exception exception) => Failures.Enqueue($"{query}: {exception.GetType().Name}: {exception.Message}");
    }
}

/// <summary>
/// CPU time a peer has used, from /proc/PID/stat: its own plus its reaped children's (dcmqrscp forks one child per
/// association and reaps it when it ends, so after a run its children's time is included).
/// </summary>
public sealed class PeerCpu
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly int _pid;

    public PeerCpu(int pid) => _pid = pid;

    /// <summary>Reads after a pause long enough for the peer to reap children that served the last associations.</summary>
    public async Task<TimeSpan> ReadSettledAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        return Read();
    }

    public TimeSpan Read()
    {
        var stat = File.ReadAllText($"/proc/{_pid}/stat");
        // Field 2 (the command) is parenthesised and may hold spaces; utime is field 14, stime 15, cutime 16, cstime 17.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int n) => long.Parse(fields[n - 3], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((Field(14) + Field(15) + Field(16) + Field(17)) / TicksPerSecond);
    }
}
