using System.Text.Json;
using System.Text.Json.Serialization;

namespace HandiImaging.XnatDouble;

/// <summary>
/// What a double starts with (or is given later through <c>POST /__double/seed</c>): options, users, projects,
/// archived sessions with scans, PACS entries (seeded studies or a real DICOM peer) and receivers. JSON names are
/// camelCase; see README.md for an example.
/// </summary>
public sealed class XnatSeed
{
    public SeedOptions? Options { get; set; }
    public List<SeedUser> Users { get; set; } = new();
    public List<SeedProject> Projects { get; set; } = new();
    public List<XnatExperiment> Sessions { get; set; } = new();
    public List<PacsEntry> Pacs { get; set; } = new();
    /// <summary>Replaces the default receiver list (XNAT:8104 with custom processing) when given.</summary>
    public List<XnatReceiver>? Receivers { get; set; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static XnatSeed Parse(string json, string source) =>
        JsonSerializer.Deserialize<XnatSeed>(json, Json) ?? throw new InvalidDataException($"{source}: the seed is empty (null).");

    /// <summary>Applies options (before start) — <see cref="ApplyData"/> adds the rest.</summary>
    public void ApplyOptions(XnatDoubleOptions options) => Options?.ApplyTo(options);

    public void ApplyData(XnatState state)
    {
        Options?.ApplyTo(state.Options);
        foreach (var p in Projects)
        {
            var project = state.AddProject(p.Id, p.DqrEnabled, p.Public, p.AutoArchive);
            project.Name = p.Name ?? p.Id;
            project.Description = p.Description ?? "";
        }
        foreach (var u in Users) state.AddUser(u.Username, u.Password, u.Roles, u.Projects);
        foreach (var s in Sessions) state.AddExperiment(s);
        foreach (var p in Pacs) state.AddPacs(p);
        if (Receivers is not null)
        {
            lock (state.Sync)
            {
                state.Receivers.Clear();
                state.Receivers.AddRange(Receivers);
            }
        }
    }
}

public sealed class SeedUser
{
    public required string Username { get; set; }
    public required string Password { get; set; }
    public List<string> Roles { get; set; } = new();
    public List<string> Projects { get; set; } = new();
}

public sealed class SeedProject
{
    public required string Id { get; set; }
    public string? Name { get; set; }
    public string? Description { get; set; }
    public bool Public { get; set; }
    public bool DqrEnabled { get; set; } = true;
    public bool AutoArchive { get; set; } = true;
}

/// <summary>Option overrides in seconds/milliseconds (JSON-friendly); unset = leave as is.</summary>
public sealed class SeedOptions
{
    public string? SiteId { get; set; }
    public double? SessionTimeoutSeconds { get; set; }
    public int? MaxSessionsPerUser { get; set; }
    public bool? RequireLogin { get; set; }
    public int? MaxFailedLogins { get; set; }
    public bool? ShuffleJsonKeys { get; set; }
    public bool? ScanlessSessionsInScanListing { get; set; }
    public bool? DqrAutomatic { get; set; }
    public double? DqrStepIntervalMilliseconds { get; set; }
    public double? DqrRetryDelaySeconds { get; set; }
    public int? DqrMaxAttempts { get; set; }
    public double? DqrReceiveWindowSeconds { get; set; }

    public void ApplyTo(XnatDoubleOptions o)
    {
        if (SiteId is not null) o.SiteId = SiteId;
        if (SessionTimeoutSeconds is { } t) o.SessionTimeout = TimeSpan.FromSeconds(t);
        if (MaxSessionsPerUser is { } m) o.MaxSessionsPerUser = m;
        if (RequireLogin is { } r) o.RequireLogin = r;
        if (MaxFailedLogins is { } f) o.MaxFailedLogins = f;
        if (ShuffleJsonKeys is { } s) o.ShuffleJsonKeys = s;
        if (ScanlessSessionsInScanListing is { } l) o.ScanlessSessionsInScanListing = l;
        if (DqrAutomatic is { } a) o.Dqr.Automatic = a;
        if (DqrStepIntervalMilliseconds is { } i) o.Dqr.StepInterval = TimeSpan.FromMilliseconds(i);
        if (DqrRetryDelaySeconds is { } d) o.Dqr.RetryDelay = TimeSpan.FromSeconds(d);
        if (DqrMaxAttempts is { } n) o.Dqr.MaxAttempts = n;
        if (DqrReceiveWindowSeconds is { } w) o.Dqr.ReceiveWindow = TimeSpan.FromSeconds(w);
    }
}
