using System.Globalization;
using System.Text.Json;
using HandiImaging.XnatDouble.Dqr;

namespace HandiImaging.XnatDouble.Http;

/// <summary>
/// The double's own control API under <c>/__double/</c> (never part of XNAT; no authentication), so PowerShell
/// tests and the demo can seed, misbehave, step DQR and read counters. JSON in and out; see README.md.
/// </summary>
internal static class ControlEndpoints
{
    public static void Map(IEndpointRouteBuilder app, XnatState state, DqrEngine dqr)
    {
        var g = app.MapGroup("/__double");
        g.MapPost("/seed", async (HttpRequest c, CancellationToken ct) =>
        {
            var seed = await JsonSerializer.DeserializeAsync<XnatSeed>(c.Body, XnatSeed.Json) ?? new XnatSeed();
            seed.ApplyData(state);
            return Results.Json(Summary(state), XnatSeed.Json);
        });
        g.MapGet("/state", () => Results.Json(Summary(state), XnatSeed.Json));
        g.MapPost("/faults", async (HttpRequest c, CancellationToken ct) =>
        {
            var rule = await JsonSerializer.DeserializeAsync<FaultRule>(c.Body, XnatSeed.Json)
                ?? throw new BadHttpRequestException("A fault rule is required.");
            state.AddFault(rule);
            return Results.Json(new { faults = FaultCount(state) }, XnatSeed.Json);
        });
        g.MapDelete("/faults", () =>
        {
            state.ClearFaults();
            return Results.Json(new { faults = 0 }, XnatSeed.Json);
        });
        g.MapPut("/dqr/faults", async (HttpRequest c, CancellationToken ct) =>
        {
            var faults = await JsonSerializer.DeserializeAsync<DqrFaults>(c.Body, XnatSeed.Json) ?? new DqrFaults();
            lock (state.Sync)
            {
                var f = state.DqrFaults;
                f.DropStudies.Clear(); f.DropStudies.UnionWith(faults.DropStudies);
                f.StuckStudies.Clear(); f.StuckStudies.UnionWith(faults.StuckStudies);
                f.FailStudies.Clear(); f.FailStudies.UnionWith(faults.FailStudies);
                f.StuckAll = faults.StuckAll;
                f.FailFraction = faults.FailFraction;
                f.FailFirstAttempts = faults.FailFirstAttempts;
                f.FailureMessage = faults.FailureMessage;
            }
            return Results.Json(state.DqrFaults, XnatSeed.Json);
        });
        g.MapPost("/dqr/step", async (HttpRequest c, CancellationToken ct) => Results.Json(new { changed = await dqr.StepAsync(ct) }, XnatSeed.Json));
        g.MapPost("/dqr/run", async (HttpRequest c, CancellationToken ct) => Results.Json(new { steps = await dqr.RunUntilIdleAsync(ct) }, XnatSeed.Json));
        g.MapPost("/archive", async (HttpRequest c, CancellationToken ct) =>
        {
            using var doc = await JsonDocument.ParseAsync(c.Body, cancellationToken: ct);
            var r = doc.RootElement;
            string? Text(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            try
            {
                var archived = await dqr.ArchiveFromPacsAsync(r.GetProperty("pacsId").GetInt64(), Text("project") ?? "", Text("studyInstanceUid") ?? "",
                    Text("subjectLabel"), Text("label"), Text("username") ?? "admin", ct);
                return Results.Json(new { archived }, XnatSeed.Json);
            }
            catch (ArgumentException e)
            {
                return Results.Json(new { error = e.Message }, XnatSeed.Json, statusCode: 400);
            }
        });
        g.MapPost("/clock/advance", (HttpContext c) =>
        {
            var seconds = double.Parse(c.Request.Query["seconds"].ToString(), NumberStyles.Float, CultureInfo.InvariantCulture);
            state.Clock.Advance(TimeSpan.FromSeconds(seconds));
            return Results.Json(new { now = state.Clock.NowMilliseconds }, XnatSeed.Json);
        });
        g.MapGet("/requests", () => Results.Json(new { total = state.Requests.Total, counts = state.Requests.Counts, recent = state.Requests.Recent }, XnatSeed.Json));
        g.MapDelete("/requests", () =>
        {
            state.Requests.Clear();
            return Results.Json(new { total = 0 }, XnatSeed.Json);
        });
        g.MapGet("/sessions", () => Results.Json(new { live = state.LiveSessions(), created = SessionsCreated(state) }, XnatSeed.Json));
        g.MapDelete("/sessions", () =>
        {
            state.ExpireAllSessions();
            return Results.Json(new { live = 0 }, XnatSeed.Json);
        });
        g.MapPost("/tokens", async (HttpRequest c, CancellationToken ct) =>
        {
            using var doc = await JsonDocument.ParseAsync(c.Body);
            var username = doc.RootElement.GetProperty("username").GetString()!;
            TimeSpan? lifetime = doc.RootElement.TryGetProperty("lifetimeSeconds", out var l) ? TimeSpan.FromSeconds(l.GetDouble()) : null;
            var token = state.IssueToken(username, lifetime);
            return Results.Json(new { alias = token.Alias, secret = token.Secret, expires = token.Expires.ToUnixTimeMilliseconds() }, XnatSeed.Json);
        });
        g.MapGet("/experiments", (HttpContext c) =>
        {
            var project = c.Request.Query["project"].ToString();
            lock (state.Sync)
            {
                var list = state.Experiments.Where(e => project.Length == 0 || e.Project == project).ToArray();
                return Results.Json(list, XnatSeed.Json);
            }
        });
        g.MapGet("/prearchive", () =>
        {
            lock (state.Sync) return Results.Json(state.Prearchive.ToArray(), XnatSeed.Json);
        });
        g.MapGet("/dqr", () =>
        {
            lock (state.Sync)
            {
                return Results.Json(new
                {
                    queue = state.Queue.Select(e => e.Request.Clone()).ToArray(),
                    history = state.History.Select(h => h.Clone()).ToArray(),
                }, XnatSeed.Json);
            }
        });
    }

    private static int FaultCount(XnatState state)
    {
        lock (state.Sync) return state.FaultRules.Count;
    }

    private static Dictionary<string, int> SessionsCreated(XnatState state)
    {
        lock (state.Sync) return new Dictionary<string, int>(state.SessionsCreated);
    }

    private static object Summary(XnatState state)
    {
        lock (state.Sync)
        {
            return new
            {
                users = state.Users.Keys.ToArray(),
                projects = state.Projects.Keys.ToArray(),
                experiments = state.Experiments.Count,
                scans = state.Experiments.Sum(e => e.Scans.Count),
                pacs = state.Pacs.Select(p => p.Id).ToArray(),
                queue = state.Queue.Count,
                history = state.History.Count,
                prearchive = state.Prearchive.Count,
                now = state.Clock.NowMilliseconds,
            };
        }
    }
}
