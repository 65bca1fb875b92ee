using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using HandiImaging.XnatDouble.Http;

namespace HandiImaging.XnatDouble.Dqr;

/// <summary>The DQR 2.x XAPI: <c>/xapi/pacs</c> and <c>/xapi/dqr/…</c> (xnat-sources.md §5).</summary>
internal static class DqrEndpoints
{
    /// <summary>HEADER_TO_TAG_MAP: relabel keys and the tags they set.</summary>
    private static readonly Dictionary<string, string[]> RelabelTags = new(StringComparer.Ordinal)
    {
        ["Subject"] = new[] { "(0010,0010)", "(0010,0020)" },
        ["Session"] = new[] { "(0020,0010)", "(0008,0050)" },
        ["Relabel Accession Number"] = new[] { "(0008,0050)" },
        ["Relabel Study Date"] = new[] { "(0008,0020)" },
        ["Relabel Study ID"] = new[] { "(0020,0010)" },
        ["Relabel Patient ID"] = new[] { "(0010,0020)" },
        ["Relabel Patient Name"] = new[] { "(0010,0010)" },
        ["Relabel Patient Birth Date"] = new[] { "(0010,0030)" },
    };

    public static void Map(IEndpointRouteBuilder app, XnatState state, DqrEngine dqr)
    {
        app.MapGet("/xapi/pacs", (HttpContext c) => PacsList(c, state));
        app.MapGet("/xapi/pacs/{id}", (HttpContext c, string id) => PacsItem(c, state, id));
        app.MapGet("/xapi/pacs/{id}/status", (HttpContext c, string id) => PacsStatus(c, state, id));
        app.MapPost("/xapi/dqr/query/studies", (HttpContext c) => QueryStudies(c, state));
        app.MapPost("/xapi/dqr/import", (HttpContext c) => Import(c, state));
        foreach (var kind in new[] { "queue", "history" })
        {
            var history = kind == "history";
            app.MapGet($"/xapi/dqr/import/{kind}", (HttpContext c) => ListRequests(c, state, history));
            app.MapGet($"/xapi/dqr/import/{kind}/count", (HttpContext c) => CountRequests(c, state, history));
            app.MapGet($"/xapi/dqr/import/{kind}/{{id}}", (HttpContext c, string id) => OneRequest(c, state, history, id));
        }
        app.MapDelete("/xapi/dqr/import/queue/{id}", (HttpContext c, string id) => DeleteQueued(c, state, id));
    }

    private static object PacsJson(PacsEntry p)
    {
        var created = p.Created.ToUnixTimeMilliseconds();
        return new
        {
            id = p.Id, enabled = true, created, timestamp = created, disabled = 0L,
            aeTitle = p.AeTitle, host = p.Host, label = p.Label.Length > 0 ? p.Label : p.AeTitle,
            queryable = p.Queryable, queryRetrievePort = p.Port, defaultStoragePacs = p.DefaultStoragePacs, storable = p.Storable,
            defaultQueryRetrievePacs = p.DefaultQueryRetrievePacs, ormStrategySpringBeanId = "dicomOrmStrategy",
            supportsExtendedNegotiations = false, dicomWebEnabled = false, anonymizationEnabled = true,
        };
    }

    private static async Task PacsList(HttpContext c, XnatState state)
    {
        var queryable = c.Request.Query["queryable"].ToString();
        var storable = c.Request.Query["storable"].ToString();
        object[] list;
        lock (state.Sync)
        {
            list = state.Pacs
                .Where(p => !bool.TryParse(queryable, out var q) || p.Queryable == q)
                .Where(p => !bool.TryParse(storable, out var s) || p.Storable == s)
                .Select(PacsJson).ToArray();
        }
        await Responses.WriteJackson(c, list);
    }

    private static PacsEntry? FindPacs(XnatState state, string id)
    {
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
        lock (state.Sync) return state.Pacs.FirstOrDefault(p => p.Id == n);
    }

    private static Task PacsItem(HttpContext c, XnatState state, string id) =>
        FindPacs(state, id) is { } pacs ? Responses.WriteJackson(c, PacsJson(pacs)) : Responses.WriteXapiError(c, 404, "The specified PACS system was not found");

    private static async Task PacsStatus(HttpContext c, XnatState state, string id)
    {
        var pacs = FindPacs(state, id);
        if (pacs is null)
        {
            await Responses.WriteXapiError(c, 404, "The specified PACS system was not found");
            return;
        }
        var successful = await PacsSide.EchoAsync(pacs, c.RequestAborted);
        var now = state.Clock.NowMilliseconds;
        await Responses.WriteJackson(c, new { id = now % 100000, enabled = true, created = now, timestamp = now, disabled = 0L, pacsId = pacs.Id, successful, pingTime = now });
    }

    /// <summary>Query and import need the Dqr role (or Administrator): 403 with an empty body otherwise.</summary>
    private static bool DeniedDqr(HttpContext c)
    {
        if (c.GetCaller().User.CanUseDqr) return false;
        c.Response.StatusCode = 403;
        return true;
    }

    private static PacsEntry? ResolvePacs(XnatState state, long id)
    {
        lock (state.Sync) return id == 0 ? state.Pacs.FirstOrDefault(p => p.DefaultQueryRetrievePacs) ?? state.Pacs.FirstOrDefault() : state.Pacs.FirstOrDefault(p => p.Id == id);
    }

    private static async Task<JsonElement?> ReadJson(HttpContext c)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(c.Request.Body);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            await Responses.WriteXapiError(c, 400, "JSON parse error: " + e.Message);
            return null;
        }
    }

    private static string? Text(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var v)
            ? v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), JsonValueKind.True => "true", JsonValueKind.False => "false", _ => null }
            : null;

    /// <summary>DqrDateRange: yyyyMMdd, yyyy/MM/dd or yyyy-MM-dd, optionally followed by a time; anything else is a 400.</summary>
    private static bool TryDate(string? text, out DateOnly? date)
    {
        date = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        var m = Regex.Match(text.Trim(), @"^(\d{4})[-/]?(\d{2})[-/]?(\d{2})(\s+\d{1,2}:\d{1,2})?$");
        if (!m.Success) return false;
        if (!DateOnly.TryParseExact(m.Groups[1].Value + m.Groups[2].Value + m.Groups[3].Value, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return false;
        date = d;
        return true;
    }

    private static async Task QueryStudies(HttpContext c, XnatState state)
    {
        if (DeniedDqr(c)) return;
        if (await ReadJson(c) is not { } body) return;
        var pacsId = long.TryParse(Text(body, "pacsId"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        string? fromText = Text(body, "studyDateFrom"), toText = Text(body, "studyDateTo");
        if (body.TryGetProperty("studyDateRange", out var range) && range.ValueKind == JsonValueKind.Object)
        {
            fromText ??= Text(range, "start");
            toText ??= Text(range, "end");
        }
        if (!TryDate(fromText, out var from) || !TryDate(toText, out var to))
        {
            await Responses.WriteXapiError(c, 400, $"JSON parse error: Cannot deserialize value of type `DqrDateRange` from String \"{fromText ?? toText}\": not a valid date");
            return;
        }
        var pacs = ResolvePacs(state, pacsId);
        if (pacs is null)
        {
            await Responses.WriteXapiError(c, 404, "The specified PACS system was not found");
            return;
        }
        if (!pacs.Queryable)
        {
            await Responses.WriteXapiError(c, 400, $"The PACS {pacs.Id} is not queryable");
            return;
        }
        var criteria = new StudyCriteria
        {
            PatientId = Text(body, "patientId"),
            PatientName = Text(body, "patientName"),
            StudyInstanceUid = Text(body, "studyInstanceUid"),
            AccessionNumber = Text(body, "accessionNumber"),
            Modality = Text(body, "modality"),
            From = from,
            To = to,
        };
        List<FoundStudy> studies;
        try
        {
            studies = await PacsSide.FindStudiesAsync(pacs, criteria, c.RequestAborted);
        }
        catch (HandiImaging.Dicom.DicomException e)
        {
            await Responses.WriteXapiError(c, 400, "A DQR run-time exception occurred, which usually indicates a problem performing a query to the PACS: " + e.Message);
            return;
        }
        if (studies.Count == 0)
        {
            c.Response.StatusCode = 204;
            return;
        }
        c.Response.StatusCode = 200;
        c.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(c.Response.Body, Responses.Writer);
        writer.WriteStartArray();
        foreach (var s in studies) WriteStudy(writer, s);
        writer.WriteEndArray();
    }

    /// <summary>StudySerializer: fixed order, blank strings, null dates and empty lists left out.</summary>
    private static void WriteStudy(Utf8JsonWriter w, FoundStudy s)
    {
        static void NonBlank(Utf8JsonWriter w, string name, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value)) w.WriteString(name, value);
        }
        w.WriteStartObject();
        NonBlank(w, "studyInstanceUid", s.StudyInstanceUid);
        NonBlank(w, "studyId", s.StudyId);
        NonBlank(w, "studyDescription", s.StudyDescription);
        NonBlank(w, "accessionNumber", s.AccessionNumber);
        if (DateOnly.TryParseExact(s.StudyDate, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            w.WriteString("studyDate", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (s.ModalitiesInStudy.Count > 0)
        {
            w.WriteStartArray("modalitiesInStudy");
            foreach (var m in s.ModalitiesInStudy) w.WriteStringValue(m);
            w.WriteEndArray();
        }
        NonBlank(w, "referringPhysicianName", PersonName(s.ReferringPhysicianName));
        w.WriteStartObject("patient");
        NonBlank(w, "id", s.PatientId);
        NonBlank(w, "name", PersonName(s.PatientName));
        NonBlank(w, "sex", s.PatientSex);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>getLastNameCommaFirstName: <c>LAST^FIRST^…</c> → <c>LAST, FIRST</c>.</summary>
    internal static string PersonName(string dicom)
    {
        var parts = dicom.Split('^');
        var last = parts[0].Trim();
        var first = parts.Length > 1 ? parts[1].Trim() : "";
        return first.Length == 0 ? last : $"{last}, {first}";
    }

    private static List<string> Strings(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : new List<string>();

    private static async Task Import(HttpContext c, XnatState state)
    {
        if (DeniedDqr(c)) return;
        if (await ReadJson(c) is not { } body) return;
        var user = c.GetCaller().User;
        var projectId = Text(body, "projectId") ?? "";
        var pacsId = long.TryParse(Text(body, "pacsId"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        var aeTitle = Text(body, "aeTitle") ?? "XNAT";
        var port = int.TryParse(Text(body, "port"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 0;
        var force = string.Equals(Text(body, "forceImport"), "true", StringComparison.OrdinalIgnoreCase);
        var userDefinedId = Text(body, "requestId");
        var studies = body.TryGetProperty("studies", out var s) && s.ValueKind == JsonValueKind.Array ? s.EnumerateArray().ToList() : new List<JsonElement>();

        PacsEntry? pacs;
        lock (state.Sync)
        {
            var project = state.Projects.GetValueOrDefault(projectId);
            // Project must be DQR-enabled and editable by the user; an administrator passes even for a project that does not exist.
            var allowed = project is null ? user.HasAllDataAccess : (project.DqrEnabled || user.IsAdmin) && user.CanEdit(project);
            if (!allowed)
            {
                c.Response.StatusCode = 403;
                return;
            }
            pacs = state.Pacs.FirstOrDefault(x => x.Id == pacsId);
        }
        if (pacs is null)
        {
            await Responses.WriteXapiError(c, 404, $"No PACS with ID {pacsId} was found");
            return;
        }
        if (!pacs.Queryable)
        {
            await Responses.WriteXapiError(c, 400, $"The PACS {pacs.Id} is not queryable");
            return;
        }

        var parsed = new List<(string Uid, List<string> SeriesUids, List<string> Descriptions, Dictionary<string, string> Map, string? Script)>();
        foreach (var study in studies)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (study.TryGetProperty("relabelMap", out var rm) && rm.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in rm.EnumerateObject())
                {
                    if (!RelabelTags.ContainsKey(entry.Name))
                    {
                        // HEADER_TO_TAG_MAP.get() is null for an unknown key: a NullPointerException (inferred 500).
                        await Responses.WriteXapiError(c, 500, "java.lang.NullPointerException");
                        return;
                    }
                    map[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
                }
            }
            var anon = Text(study, "anonScript");
            parsed.Add((Text(study, "studyInstanceUid") ?? "", Strings(study, "seriesInstanceUids"), Strings(study, "seriesDescriptions"), map, map.Count > 0 ? Script(map) : anon));
        }

        if (!force && parsed.Any(x => x.Script is not null))
        {
            bool ok;
            lock (state.Sync) ok = state.Receivers.Any(r => r.Enabled && r.CustomProcessing && string.Equals(r.AeTitle, aeTitle, StringComparison.OrdinalIgnoreCase) && r.Port == port);
            if (!ok)
            {
                await Responses.WriteXapiError(c, 400, $"No remapping processors available for this SCP receiver: {aeTitle}:{port.ToString(CultureInfo.InvariantCulture)}. Custom processing must be enabled on the receiver and a remapping archive processor configured.");
                return;
            }
        }

        var multi = parsed.Count > 1;
        var queued = new List<PacsRequest>();
        foreach (var study in parsed)
        {
            bool dropped;
            lock (state.Sync) dropped = state.DqrFaults.DropStudies.Contains(study.Uid);
            if (dropped || study.Uid.Length == 0) continue;
            List<FoundSeries> series;
            FoundStudy? found;
            try
            {
                series = await PacsSide.FindSeriesAsync(pacs, study.Uid, c.RequestAborted);
                found = (await PacsSide.FindStudiesAsync(pacs, new StudyCriteria { StudyInstanceUid = study.Uid }, c.RequestAborted)).FirstOrDefault();
            }
            catch (HandiImaging.Dicom.DicomException)
            {
                continue; // logged by DQR, left out of the answer
            }
            series = series.Where(x => (study.SeriesUids.Count == 0 || study.SeriesUids.Contains(x.SeriesInstanceUid))
                                    && (study.Descriptions.Count == 0 || study.Descriptions.Contains(x.SeriesDescription))).ToList();
            if (series.Count == 0) continue;
            lock (state.Sync)
            {
                var now = state.Clock.NowMilliseconds;
                var request = new PacsRequest
                {
                    Id = state.NextQueueId(),
                    Created = now,
                    Timestamp = now,
                    Username = user.Username,
                    UserDefinedId = userDefinedId,
                    PacsId = pacs.Id,
                    XnatProject = projectId,
                    StudyInstanceUid = study.Uid,
                    SeriesIds = series.Select(x => x.SeriesInstanceUid).ToList(),
                    RemappingScript = study.Script,
                    DestinationAeTitle = port == 0 ? aeTitle : aeTitle + ":" + port.ToString(CultureInfo.InvariantCulture),
                    Status = PacsRequest.QueuedStatus,
                    Priority = multi ? 10 : 1,
                    QueuedTime = now,
                    StudyDate = Blank(found?.StudyDate),
                    StudyId = Blank(found?.StudyId),
                    AccessionNumber = Blank(found?.AccessionNumber),
                    PatientId = Blank(found?.PatientId),
                    PatientName = Blank(found?.PatientName),
                };
                state.Queue.Add(new QueueEntryState { Request = request, RelabelMap = study.Map, NotBefore = state.Clock.Now });
                queued.Add(request.Clone());
            }
        }
        await Responses.WriteJackson(c, queued);
    }

    private static string? Blank(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>The DicomEdit 6.1 script DQR generates from a relabel map.</summary>
    private static string Script(Dictionary<string, string> map)
    {
        var script = new StringBuilder("version \"6.1\"\n");
        foreach (var (key, value) in map)
        {
            foreach (var tag in RelabelTags[key]) script.Append(tag).Append(" := \"").Append(value.Replace("\"", "\\\"", StringComparison.Ordinal)).Append("\"\n");
        }
        return script.ToString();
    }

    /// <summary>all (default false: own requests; true needs all-data access), sort DESC|ASC, page from 1, pageSize (100).</summary>
    private static async Task<(bool All, bool Asc, int Page, int PageSize)?> Paging(HttpContext c)
    {
        var q = c.Request.Query;
        var all = string.Equals(q["all"].ToString(), "true", StringComparison.OrdinalIgnoreCase);
        var sort = q["sort"].ToString();
        if (sort.Length > 0 && !Regex.IsMatch(sort, "^(DESC|ASC)$", RegexOptions.IgnoreCase))
        {
            await Responses.WriteXapiError(c, 400, $"The sort parameter must be either ASC or DESC, but was: {sort}");
            return null;
        }
        if (all && !c.GetCaller().User.HasAllDataAccess)
        {
            c.Response.StatusCode = 403;
            return null;
        }
        var page = int.TryParse(q["page"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var pg) && pg > 0 ? pg : 1;
        var size = int.TryParse(q["pageSize"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ps) && ps > 0 ? ps : 100;
        return (all, string.Equals(sort, "ASC", StringComparison.OrdinalIgnoreCase), page, size);
    }

    private static IEnumerable<PacsRequest> Requests(XnatState state, bool history, bool all, string username)
    {
        var source = history ? state.History : state.Queue.Select(e => e.Request);
        return source.Where(r => all || r.Username == username);
    }

    private static async Task ListRequests(HttpContext c, XnatState state, bool history)
    {
        if (DeniedDqr(c)) return;
        if (await Paging(c) is not { } paging) return;
        PacsRequest[] page;
        lock (state.Sync)
        {
            var rows = Requests(state, history, paging.All, c.GetCaller().User.Username);
            rows = paging.Asc ? rows.OrderBy(r => r.Id) : rows.OrderByDescending(r => r.Id);
            page = rows.Skip((paging.Page - 1) * paging.PageSize).Take(paging.PageSize).Select(r => r.Clone()).ToArray();
        }
        await Responses.WriteJackson(c, page);
    }

    private static async Task CountRequests(HttpContext c, XnatState state, bool history)
    {
        if (DeniedDqr(c)) return;
        if (await Paging(c) is not { } paging) return;
        int count;
        lock (state.Sync) count = Requests(state, history, paging.All, c.GetCaller().User.Username).Count();
        await Responses.WriteJackson(c, count);
    }

    private static async Task OneRequest(HttpContext c, XnatState state, bool history, string id)
    {
        if (DeniedDqr(c)) return;
        PacsRequest? request = null;
        if (long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            lock (state.Sync) request = Requests(state, history, true, "").FirstOrDefault(r => r.Id == n)?.Clone();
        }
        var user = c.GetCaller().User;
        if (request is null)
        {
            await Responses.WriteXapiError(c, 404, $"No {(history ? "executed" : "queued")} PACS request with ID {id} was found");
            return;
        }
        if (request.Username != user.Username && !user.HasAllDataAccess)
        {
            c.Response.StatusCode = 403;
            return;
        }
        await Responses.WriteJackson(c, request);
    }

    private static async Task DeleteQueued(HttpContext c, XnatState state, string id)
    {
        if (DeniedDqr(c)) return;
        var user = c.GetCaller().User;
        QueueEntryState? entry = null;
        if (long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            lock (state.Sync) entry = state.Queue.FirstOrDefault(e => e.Request.Id == n);
        }
        if (entry is null)
        {
            await Responses.WriteXapiError(c, 404, $"No queued PACS request with ID {id} was found");
            return;
        }
        if (entry.Request.Username != user.Username && !user.HasAllDataAccess)
        {
            c.Response.StatusCode = 403;
            return;
        }
        lock (state.Sync) state.Queue.Remove(entry);
        await Responses.WriteJackson(c, true);
    }
}
