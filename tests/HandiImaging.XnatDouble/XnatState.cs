using System.Globalization;
using System.Security.Cryptography;
using HandiImaging.XnatDouble.Dqr;

namespace HandiImaging.XnatDouble;

/// <summary>The double's notion of now: the system clock plus an offset that tests move forward.</summary>
public sealed class DoubleClock
{
    private long _offsetTicks;

    public DateTimeOffset Now => DateTimeOffset.UtcNow + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
    public long NowMilliseconds => Now.ToUnixTimeMilliseconds();

    /// <summary>Moves the clock forward (session idle expiry, DQR retry waits, the one-hour receive window).</summary>
    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(by), "The clock only moves forward.");
        Interlocked.Add(ref _offsetTicks, by.Ticks);
    }
}

/// <summary>Site settings of the double; the defaults are XNAT 1.8's.</summary>
public sealed class XnatDoubleOptions
{
    /// <summary>The site ID, used as the Basic realm.</summary>
    public string SiteId { get; set; } = "XNAT";
    /// <summary>Idle timeout of a server session (XNAT: 15 minutes).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMinutes(15);
    /// <summary>Concurrent sessions a user may hold (XNAT: 1000); one more login is refused with 401.</summary>
    public int MaxSessionsPerUser { get; set; } = 1000;
    /// <summary>When false, anonymous requests are served as the guest user (public projects only).</summary>
    public bool RequireLogin { get; set; } = true;
    public int MaxFailedLogins { get; set; } = 20;
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromHours(1);
    public TimeSpan AliasTokenLifetime { get; set; } = TimeSpan.FromDays(2);
    /// <summary>Shuffle the keys of every JSON row and meta block, as org.json's HashMap does (set false for readable output).</summary>
    public bool ShuffleJsonKeys { get; set; } = true;
    /// <summary>
    /// Whether a session without scans appears (with empty scan columns) in a per-scan listing. XNAT's SQL is a
    /// LEFT JOIN (inferred), so true; a client must cope with both.
    /// </summary>
    public bool ScanlessSessionsInScanListing { get; set; } = true;
    public DqrOptions Dqr { get; set; } = new();
}

/// <summary>How the double's DQR dequeuer runs.</summary>
public sealed class DqrOptions
{
    /// <summary>Manual: nothing moves until <see cref="Dqr.DqrEngine.StepAsync"/> is called. Automatic: a timer steps every <see cref="StepInterval"/>.</summary>
    public bool Automatic { get; set; }
    public TimeSpan StepInterval { get; set; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Wait before a failed request is retried (DQR: 300 s).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(300);
    /// <summary>Attempts per request (DQR: 5).</summary>
    public int MaxAttempts { get; set; } = 5;
    /// <summary>An ISSUED request becomes RECEIVED only if its data arrives within this window (DQR: one hour).</summary>
    public TimeSpan ReceiveWindow { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Everything the double holds. All access goes through <see cref="Sync"/>.</summary>
public sealed class XnatState
{
    internal readonly object Sync = new();
    private int _nextExperiment = 1;
    private int _nextSubject = 1;
    private int _nextScanKey = 1;
    private long _nextToken = 1;
    private long _nextQueueId = 1;
    private long _nextHistoryId = 1;
    private int _nextUserId = 1;

    public XnatState(XnatDoubleOptions options, DoubleClock clock)
    {
        Options = options;
        Clock = clock;
    }

    public XnatDoubleOptions Options { get; }
    public DoubleClock Clock { get; }
    internal Dictionary<string, XnatUser> Users { get; } = new(StringComparer.Ordinal);
    internal Dictionary<string, XnatProject> Projects { get; } = new(StringComparer.Ordinal);
    internal List<XnatExperiment> Experiments { get; } = new();
    internal Dictionary<string, XnatExperiment> ExperimentsById { get; } = new(StringComparer.Ordinal);
    internal Dictionary<(string Project, string Label), string> SubjectIds { get; } = new();
    internal Dictionary<string, ServerSession> Sessions { get; } = new(StringComparer.Ordinal);
    internal Dictionary<string, AliasToken> Tokens { get; } = new(StringComparer.Ordinal);
    internal List<PrearchiveEntry> Prearchive { get; } = new();
    internal List<XnatReceiver> Receivers { get; } = new() { new XnatReceiver() };
    internal List<PacsEntry> Pacs { get; } = new();
    internal List<FaultRule> FaultRules { get; } = new();
    public DqrFaults DqrFaults { get; } = new();
    public RequestLog Requests { get; } = new();
    internal List<QueueEntryState> Queue { get; } = new();
    internal List<PacsRequest> History { get; } = new();
    internal List<IssuedState> Issued { get; } = new();
    /// <summary>Server sessions created, by user (null key = anonymous), for tests that count logins.</summary>
    internal Dictionary<string, int> SessionsCreated { get; } = new(StringComparer.Ordinal);

    // ---- seeding (thread-safe; tests call these while the server runs) ----

    public XnatUser AddUser(string username, string password, IEnumerable<string>? roles = null, IEnumerable<string>? projects = null)
    {
        lock (Sync)
        {
            var user = new XnatUser
            {
                Username = username,
                Password = password,
                Id = _nextUserId++,
                Roles = new HashSet<string>(roles ?? Array.Empty<string>(), StringComparer.Ordinal),
                Projects = new HashSet<string>(projects ?? Array.Empty<string>(), StringComparer.Ordinal),
            };
            Users[username] = user;
            return user;
        }
    }

    public XnatProject AddProject(string id, bool dqrEnabled = true, bool isPublic = false, bool autoArchive = true)
    {
        lock (Sync)
        {
            var project = new XnatProject { Id = id, Name = id, DqrEnabled = dqrEnabled, Public = isPublic, AutoArchive = autoArchive };
            Projects[id] = project;
            return project;
        }
    }

    /// <summary>Adds a session (ID, subject ID and scan keys assigned when missing). Its project must exist.</summary>
    public XnatExperiment AddExperiment(XnatExperiment experiment)
    {
        lock (Sync)
        {
            if (!Projects.ContainsKey(experiment.Project))
                throw new ArgumentException($"Project '{experiment.Project}' does not exist in the double; add it first.", nameof(experiment));
            if (string.IsNullOrEmpty(experiment.Id)) experiment.Id = NextExperimentId();
            if (ExperimentsById.ContainsKey(experiment.Id))
                throw new ArgumentException($"Experiment '{experiment.Id}' already exists.", nameof(experiment));
            if (string.IsNullOrEmpty(experiment.SubjectId)) experiment.SubjectId = SubjectId(experiment.Project, experiment.SubjectLabel);
            foreach (var scan in experiment.Scans) scan.Key = _nextScanKey++;
            Experiments.Add(experiment);
            ExperimentsById[experiment.Id] = experiment;
            return experiment;
        }
    }

    public PacsEntry AddPacs(PacsEntry pacs)
    {
        lock (Sync)
        {
            Pacs.RemoveAll(p => p.Id == pacs.Id);
            Pacs.Add(pacs);
            return pacs;
        }
    }

    public XnatReceiver AddReceiver(XnatReceiver receiver)
    {
        lock (Sync)
        {
            Receivers.RemoveAll(r => r.AeTitle == receiver.AeTitle && r.Port == receiver.Port);
            Receivers.Add(receiver);
            return receiver;
        }
    }

    /// <summary>Adds a rule that makes matching requests fail or slow down (see <see cref="FaultRule"/>).</summary>
    public void AddFault(FaultRule rule)
    {
        lock (Sync) FaultRules.Add(rule);
    }

    public void ClearFaults()
    {
        lock (Sync)
        {
            FaultRules.Clear();
            DqrFaults.DropStudies.Clear();
            DqrFaults.StuckStudies.Clear();
            DqrFaults.FailStudies.Clear();
            DqrFaults.StuckAll = false;
            DqrFaults.FailFraction = 0;
            DqrFaults.FailFirstAttempts = 0;
        }
    }

    /// <summary>Issues an alias token for a user, as <c>/data/services/tokens/issue</c> does.</summary>
    public AliasToken IssueToken(string username, TimeSpan? lifetime = null)
    {
        lock (Sync)
        {
            var now = Clock.Now;
            var token = new AliasToken
            {
                Id = _nextToken++,
                Alias = Guid.NewGuid().ToString(),
                Secret = RandomAlphanumerics(64),
                Username = username,
                Created = now,
                Expires = now + (lifetime ?? Options.AliasTokenLifetime),
            };
            Tokens[token.Alias] = token;
            return token;
        }
    }

    /// <summary>Ends every server session at once (what an admin's "kill sessions" or a restart does).</summary>
    public void ExpireAllSessions()
    {
        lock (Sync) Sessions.Clear();
    }

    /// <summary>A snapshot of the live (not idle-expired) server sessions.</summary>
    public IReadOnlyList<ServerSession> LiveSessions()
    {
        lock (Sync)
        {
            var now = Clock.Now;
            return Sessions.Values.Where(s => !s.IsExpired(now, Options.SessionTimeout))
                .Select(s => new ServerSession { Id = s.Id, Username = s.Username, Created = s.Created, LastAccessed = s.LastAccessed, Requests = s.Requests })
                .ToArray();
        }
    }

    /// <summary>Server sessions created so far for <paramref name="username"/> (logins that made a new session).</summary>
    public int SessionsCreatedFor(string username)
    {
        lock (Sync) return SessionsCreated.GetValueOrDefault(username);
    }

    /// <summary>A copy of the archived sessions of a project (primary project only).</summary>
    public IReadOnlyList<XnatExperiment> ExperimentsIn(string project)
    {
        lock (Sync) return Experiments.Where(e => e.Project == project).ToArray();
    }

    public IReadOnlyList<PrearchiveEntry> PrearchiveIn(string project)
    {
        lock (Sync) return Prearchive.Where(p => p.Project == project).ToArray();
    }

    // ---- internal helpers (caller holds Sync) ----

    internal string NextExperimentId() => "XNAT_E" + (_nextExperiment++).ToString("D5", CultureInfo.InvariantCulture);
    internal long NextQueueId() => _nextQueueId++;
    internal long NextHistoryId() => _nextHistoryId++;

    internal string SubjectId(string project, string label)
    {
        if (!SubjectIds.TryGetValue((project, label), out var id))
        {
            id = "XNAT_S" + (_nextSubject++).ToString("D5", CultureInfo.InvariantCulture);
            SubjectIds[(project, label)] = id;
        }
        return id;
    }

    internal static string RandomAlphanumerics(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }

    /// <summary>A Tomcat-style session id: 32 upper-case hex characters.</summary>
    internal static string NewSessionId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
}
