using System.Globalization;
using System.Text.Json;

namespace HandiImaging.XnatDouble.Http;

/// <summary>The Restlet side of XNAT (<c>/data/**</c>, also mounted at <c>/REST/**</c>).</summary>
internal static class DataEndpoints
{
    public static void Map(IEndpointRouteBuilder app, XnatState state)
    {
        foreach (var prefix in new[] { "/data", "/REST" })
        {
            var g = app.MapGroup(prefix);
            g.MapMethods("/JSESSION", new[] { "GET", "POST" }, (HttpContext c) => Responses.WriteText(c, c.GetCaller().Session.Id));
            g.MapDelete("/JSESSION", (HttpContext c) =>
            {
                lock (state.Sync) state.Sessions.Remove(c.GetCaller().Session.Id);
                c.Response.StatusCode = 200;
                return Task.CompletedTask;
            });
            g.MapPut("/JSESSION", (HttpContext c) => Responses.WriteRestletError(c, 405, "Method Not Allowed"));
            g.MapGet("/auth", (HttpContext c) => Responses.WriteText(c, $"User '{c.GetCaller().User.Username}' is logged in"));
            g.MapMethods("/services/auth", new[] { "POST", "PUT" }, (HttpContext c) => FormLogin(c, state));
            g.MapGet("/services/tokens/issue", (HttpContext c) => IssueToken(c, state));
            g.MapGet("/projects", (HttpContext c) => ProjectList(c, state));
            g.MapGet("/projects/{project}", (HttpContext c, string project) => ProjectItem(c, state, project));
            g.MapGet("/experiments", (HttpContext c) => SiteExperiments(c, state));
            g.MapGet("/projects/{project}/experiments", (HttpContext c, string project) => ProjectExperiments(c, state, project, null));
            g.MapGet("/projects/{project}/subjects/{subject}/experiments", (HttpContext c, string project, string subject) => ProjectExperiments(c, state, project, subject));
            g.MapGet("/experiments/{id}/scans", (HttpContext c, string id) => Scans(c, state, null, id));
            g.MapGet("/projects/{project}/experiments/{id}/scans", (HttpContext c, string project, string id) => Scans(c, state, project, id));
            g.MapGet("/projects/{project}/subjects/{subject}/experiments/{id}/scans", (HttpContext c, string project, string id) => Scans(c, state, project, id));
            g.MapGet("/search/elements", (HttpContext c) => SearchElements(c, state));
            g.MapGet("/prearchive/projects/{projects}", (HttpContext c, string projects) => PrearchiveList(c, state, projects));
        }
    }

    private static int RequestNumber(XnatState state) => state.Requests.Total;

    private static Task WriteTable(HttpContext c, XnatState state, XftTable table) =>
        table.Write(c, new Random(RequestNumber(state)), state.Options.ShuffleJsonKeys);

    private static async Task FormLogin(HttpContext c, XnatState state)
    {
        var form = c.Request.HasFormContentType ? await c.Request.ReadFormAsync() : null;
        var username = form?["username"].ToString() is { Length: > 0 } u ? u : form?["j_username"].ToString() ?? "";
        var password = form?["password"].ToString() is { Length: > 0 } p ? p : form?["j_password"].ToString() ?? "";
        var user = Authentication.CheckPassword(state, username, password);
        if (user is null)
        {
            await Responses.WriteRestletError(c, 401, "Authentication failed.");
            return;
        }
        var session = Authentication.LoginSession(c, state, user);
        await Responses.WriteText(c, session.Id);
    }

    private static async Task IssueToken(HttpContext c, XnatState state)
    {
        var caller = c.GetCaller();
        if (caller.IsGuest)
        {
            await Responses.WriteRestletError(c, 403, "The guest user can't request alias tokens");
            return;
        }
        var token = state.IssueToken(caller.User.Username);
        var created = token.Created.ToUnixTimeMilliseconds();
        await Responses.WriteJackson(c, new
        {
            id = token.Id,
            enabled = true,
            created,
            timestamp = created,
            disabled = 0L,
            alias = token.Alias,
            secret = token.Secret,
            singleUse = false,
            estimatedExpirationTime = token.Expires.ToUnixTimeMilliseconds(),
            xdatUserId = caller.User.Id,
        });
    }

    private static async Task ProjectList(HttpContext c, XnatState state)
    {
        var user = c.GetCaller().User;
        XftTable table;
        lock (state.Sync)
        {
            var projects = state.Projects.Values.Where(user.CanRead).ToList();
            table = new XftTable(new[] { "ID", "secondary_ID", "name", "description", "pi_firstname", "pi_lastname", "URI" });
            foreach (var p in projects) table.Rows.Add(new[] { p.Id, p.Id, p.Name, p.Description, "", "", "/data/projects/" + p.Id });
            table.Meta.Add(new("totalRecords", projects.Count.ToString(CultureInfo.InvariantCulture)));
        }
        await WriteTable(c, state, table);
    }

    private static async Task ProjectItem(HttpContext c, XnatState state, string id)
    {
        XnatProject? project;
        lock (state.Sync) project = state.Projects.GetValueOrDefault(id);
        var user = c.GetCaller().User;
        if (project is null || !user.CanRead(project))
        {
            // XNAT does not tell a project you may not see from one that does not exist.
            await Responses.WriteRestletError(c, 404, $"Unable to find project {id}");
            return;
        }
        await Responses.WriteJackson(c, new
        {
            items = new[]
            {
                new
                {
                    children = Array.Empty<object>(),
                    meta = new Dictionary<string, object> { ["create_event_id"] = 1, ["xsi:type"] = "xnat:projectData", ["isHistory"] = false },
                    data_fields = new Dictionary<string, string> { ["secondary_ID"] = project.Id, ["ID"] = project.Id, ["name"] = project.Name, ["description"] = project.Description },
                },
            },
        });
    }

    /// <summary>The root element from <c>xsiType</c>: only a single type counts; a comma list is ignored (→ every type).</summary>
    private static string Root(HttpRequest request, string defaultRoot)
    {
        var xsiType = request.Query["xsiType"].ToString();
        return xsiType.Length > 0 && !xsiType.Contains(',') ? xsiType : defaultRoot;
    }

    private static async Task SiteExperiments(HttpContext c, XnatState state)
    {
        var user = c.GetCaller().User;
        var root = Root(c.Request, "xnat:experimentData");
        XftTable table;
        try
        {
            var columns = Listings.Columns(c.Request.Query["columns"], root, !string.Equals(root, "xnat:experimentData", StringComparison.OrdinalIgnoreCase));
            var filters = Listings.Filters(c.Request.Query, projectScoped: false);
            lock (state.Sync)
            {
                // Site-wide: only each session's primary project and labels (the project= filter misses shared-in sessions).
                var rows = state.Experiments
                    .Where(e => XnatTypes.IsInstanceOf(e.XsiType, root) && state.Projects.TryGetValue(e.Project, out var p) && user.CanRead(p))
                    .Select(e => new ListingRow(e, e.Project, e.Label, e.SubjectLabel, null));
                table = Listings.Build(state, c.Request.Query, rows, columns, filters, "Matching experiments", RequestNumber(state));
            }
        }
        catch (Listings.UnparsableDateException e)
        {
            await Responses.WriteHtmlError(c, 500, e.Message);
            return;
        }
        await WriteTable(c, state, table);
    }

    /// <summary>The project form (and its subject form, <paramref name="subject"/> = the subject's label or ID in P).</summary>
    private static async Task ProjectExperiments(HttpContext c, XnatState state, string projectId, string? subject)
    {
        var user = c.GetCaller().User;
        XnatProject? project;
        lock (state.Sync) project = state.Projects.GetValueOrDefault(projectId);
        if (project is null)
        {
            await Responses.WriteRestletError(c, 404, $"Unable to identify project {projectId}");
            return;
        }
        if (!user.CanRead(project))
        {
            await Responses.WriteRestletError(c, 403, $"Unable to read experiments for Project: {projectId}");
            return;
        }
        var root = Root(c.Request, "xnat:subjectAssessorData");
        XftTable table;
        try
        {
            var columns = Listings.Columns(c.Request.Query["columns"], root, isSubjectAssessorRoot: true);
            var filters = Listings.Filters(c.Request.Query, projectScoped: true);
            lock (state.Sync)
            {
                // Primary sessions of P, and sessions shared into P relabelled to their labels in P.
                var rows = state.Experiments.Where(e => XnatTypes.IsInstanceOf(e.XsiType, root)).Select(e =>
                {
                    if (e.Project == projectId) return new ListingRow(e, projectId, e.Label, e.SubjectLabel, null);
                    var share = e.Shares.FirstOrDefault(s => s.Project == projectId);
                    return share is null ? default : new ListingRow(e, projectId, share.Label, share.SubjectLabel, null);
                }).Where(r => r.E is not null && (subject is null || r.SubjectLabel == subject || r.E.SubjectId == subject));
                table = Listings.Build(state, c.Request.Query, rows, columns, filters, null, RequestNumber(state));
            }
        }
        catch (Listings.UnparsableDateException e)
        {
            await Responses.WriteHtmlError(c, 500, e.Message);
            return;
        }
        await WriteTable(c, state, table);
    }

    private static async Task Scans(HttpContext c, XnatState state, string? projectId, string id)
    {
        var user = c.GetCaller().User;
        XftTable? table = null;
        lock (state.Sync)
        {
            var experiment = state.ExperimentsById.GetValueOrDefault(id);
            if (experiment is null && projectId is not null)
            {
                experiment = state.Experiments.FirstOrDefault(e =>
                    (e.Project == projectId && e.Label == id) || e.Shares.Any(s => s.Project == projectId && s.Label == id));
            }
            if (experiment is not null && state.Projects.TryGetValue(experiment.Project, out var project) && user.CanRead(project))
            {
                var columns = Listings.ScanColumns(c.Request.Query["columns"], experiment.Id);
                table = new XftTable(columns.Select(x => x.Key).ToArray());
                foreach (var scan in experiment.Scans) table.Rows.Add(columns.Select(x => x.Value(scan)).ToArray());
                table.Meta.Add(new("totalRecords", experiment.Scans.Count.ToString(CultureInfo.InvariantCulture)));
            }
        }
        if (table is null)
        {
            await Responses.WriteRestletError(c, 404, $"Unable to find experiment {id}");
            return;
        }
        await WriteTable(c, state, table);
    }

    private static async Task SearchElements(HttpContext c, XnatState state)
    {
        var user = c.GetCaller().User;
        var table = new XftTable(new[] { "ELEMENT_NAME", "SINGULAR", "PLURAL", "SECURED", "COUNT" });
        lock (state.Sync)
        {
            var readable = state.Experiments.Where(e => state.Projects.TryGetValue(e.Project, out var p) && user.CanRead(p)).ToList();
            table.Rows.Add(new[] { "xnat:projectData", "Project", "Projects", "true", state.Projects.Values.Count(user.CanRead).ToString(CultureInfo.InvariantCulture) });
            table.Rows.Add(new[] { "xnat:subjectData", "Subject", "Subjects", "true", readable.Select(e => e.SubjectId).Distinct().Count().ToString(CultureInfo.InvariantCulture) });
            foreach (var (element, singular, plural) in XnatTypes.SessionElements)
            {
                var count = readable.Count(e => string.Equals(e.XsiType, element, StringComparison.OrdinalIgnoreCase));
                if (count > 0) table.Rows.Add(new[] { element, singular, plural, "true", count.ToString(CultureInfo.InvariantCulture) });
            }
            table.Meta.Add(new("totalRecords", table.Rows.Count.ToString(CultureInfo.InvariantCulture)));
            table.Meta.Add(new("title", "Data-Types"));
        }
        await WriteTable(c, state, table);
    }

    private static async Task PrearchiveList(HttpContext c, XnatState state, string projects)
    {
        var user = c.GetCaller().User;
        var ids = projects.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var table = new XftTable(new[]
        {
            "project", "timestamp", "lastmod", "uploaded", "scan_date", "scan_time", "subject", "folderName", "name", "tag",
            "status", "url", "autoarchive", "prevent_anon", "prevent_auto_commit", "SOURCE", "VISIT", "PROTOCOL", "TIMEZONE",
        });
        lock (state.Sync)
        {
            foreach (var id in ids)
            {
                if (!state.Projects.TryGetValue(id, out var project) || !user.CanRead(project))
                {
                    table = null;
                    break;
                }
            }
            if (table is not null)
            {
                foreach (var p in state.Prearchive.Where(p => ids.Contains(p.Project)))
                {
                    table.Rows.Add(new[]
                    {
                        p.Project, p.Timestamp, XnatTypes.Timestamp(p.LastModified), XnatTypes.Timestamp(p.Uploaded),
                        p.ScanDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "", p.ScanTime, p.Subject, p.FolderName, p.Name, p.Tag,
                        p.Status, p.Url, state.Projects[p.Project].AutoArchive ? "AutoArchive" : "Manual", "false", "false", "", "", "", "",
                    });
                }
            }
        }
        if (table is null)
        {
            await Responses.WriteRestletError(c, 403, $"Unable to read project {projects}");
            return;
        }
        await WriteTable(c, state, table);
    }
}
