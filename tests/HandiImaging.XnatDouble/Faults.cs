using System.Text.RegularExpressions;

namespace HandiImaging.XnatDouble;

/// <summary>
/// A rule that makes matching requests misbehave: answer <see cref="Status"/> with an HTML error page, and/or
/// answer only after <see cref="DelayMilliseconds"/>. <see cref="Times"/> = how many matching requests it
/// applies to (null = every one).
/// </summary>
public sealed class FaultRule
{
    /// <summary>HTTP method to match (null = any).</summary>
    public string? Method { get; init; }
    /// <summary>Regular expression on the path (without the query string); null = every path under /data, /REST and /xapi.</summary>
    public string? PathPattern { get; init; }
    /// <summary>Answer this status with a Tomcat-style HTML page instead of the real answer (0 = answer normally, after the delay).</summary>
    public int Status { get; init; }
    public int DelayMilliseconds { get; init; }
    public int? Times { get; set; }
    internal int Applied { get; set; }

    internal bool Matches(string method, string path) =>
        (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && (PathPattern is null || Regex.IsMatch(path, PathPattern, RegexOptions.CultureInvariant));
}

/// <summary>Switchable misbehaviours of the DQR side (xnat.md §5).</summary>
public sealed class DqrFaults
{
    /// <summary>Studies the import leaves out of its answer, as when the PACS finds no series for them.</summary>
    public HashSet<string> DropStudies { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Studies whose history row stays ISSUED for ever (their data never reaches a custom-processing receiver).</summary>
    public HashSet<string> StuckStudies { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Every issued request stays ISSUED.</summary>
    public bool StuckAll { get; set; }
    /// <summary>Studies whose every attempt FAILS (C-MOVE failure).</summary>
    public HashSet<string> FailStudies { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Fraction (0..1) of studies that fail every attempt, chosen deterministically from the StudyInstanceUID.</summary>
    public double FailFraction { get; set; }
    /// <summary>The first N attempts of every request fail, then it succeeds (0 = none).</summary>
    public int FailFirstAttempts { get; set; }
    public string FailureMessage { get; set; } = "C-MOVE operation failed: the PACS answered status A801 (Refused: Move Destination unknown)";
}

/// <summary>Per-endpoint request counts and a log of recent requests, for tests that assert how a client behaved.</summary>
public sealed class RequestLog
{
    private readonly object _sync = new();
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly List<RequestRecord> _recent = new();
    private const int MaxRecent = 20_000;

    internal void Add(RequestRecord record)
    {
        lock (_sync)
        {
            _counts[record.Endpoint] = _counts.GetValueOrDefault(record.Endpoint) + 1;
            if (_recent.Count == MaxRecent) _recent.RemoveRange(0, MaxRecent / 4);
            _recent.Add(record);
        }
    }

    /// <summary>Counts by endpoint, e.g. <c>GET /data/projects/{P}/experiments</c>.</summary>
    public IReadOnlyDictionary<string, int> Counts
    {
        get { lock (_sync) return new Dictionary<string, int>(_counts, StringComparer.Ordinal); }
    }

    public int Count(string endpoint) { lock (_sync) return _counts.GetValueOrDefault(endpoint); }

    public int Total { get { lock (_sync) return _counts.Values.Sum(); } }

    /// <summary>The most recent requests (up to 20,000), oldest first.</summary>
    public IReadOnlyList<RequestRecord> Recent
    {
        get { lock (_sync) return _recent.ToArray(); }
    }

    public void Clear()
    {
        lock (_sync)
        {
            _counts.Clear();
            _recent.Clear();
        }
    }
}

/// <summary>One request as the double saw it. Authorization headers are never recorded.</summary>
public sealed record RequestRecord(
    string Method, string Path, string Query, string Endpoint, int Status, string? User, bool HadSessionCookie,
    bool HadBasicCredentials, string UserAgent, DateTimeOffset At);
