using System.Globalization;

namespace HandiImaging.XnatDouble.Http;

/// <summary>One row of an experiment listing: the experiment as seen from a project (labels of that project), maybe one of its scans.</summary>
internal readonly record struct ListingRow(XnatExperiment E, string Project, string Label, string SubjectLabel, XnatScan? Scan);

/// <summary>A column of a listing: its output key and how to read it.</summary>
internal sealed record ListingColumn(string Key, Func<ListingRow, string> Value, bool IsScanColumn = false);

/// <summary>
/// The experiment listings (<c>/data/experiments</c>, <c>/data/projects/{P}/experiments</c>) as XNAT's
/// QueryOrganizer builds them (xnat-sources.md §2): aliases are case-sensitive and unknown ones silently
/// dropped, xpaths are headed by their lower-cased form, the root element's key column is added, <c>URI</c> comes
/// last, <c>xsiType</c> takes one type only, filters are any alias or xpath, dates parse like DateUtils.
/// </summary>
internal static class Listings
{
    private static string Date(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "";

    /// <summary>XMLPathShortcuts aliases (EXPERIMENT_DATA), the ones a session can fill. Keys are case-sensitive.</summary>
    private static readonly Dictionary<string, ListingColumn> Aliases = new ListingColumn[]
    {
        new("ID", r => r.E.Id), new("label", r => r.Label), new("project", r => r.Project),
        new("subject_label", r => r.SubjectLabel), new("subject_ID", r => r.E.SubjectId), new("subject_project", r => r.Project),
        new("date", r => Date(r.E.Date)), new("time", r => r.E.Time), new("UID", r => r.E.Uid),
        new("scanner", r => r.E.Scanner), new("modality", r => r.E.Modality), new("operator", _ => ""),
        new("dcmAccessionNumber", r => r.E.AccessionNumber), new("dcmPatientId", r => r.E.DcmPatientId),
        new("dcmPatientName", r => r.E.DcmPatientName), new("session_type", _ => ""), new("note", _ => ""),
        new("visit_id", _ => ""), new("visit", _ => ""), new("protocol", _ => ""),
        new("insert_date", r => XnatTypes.Timestamp(r.E.InsertDate)), new("insert_user", r => r.E.InsertUser),
        new("last_modified", r => XnatTypes.Timestamp(r.E.LastModified ?? r.E.InsertDate)),
        new("xsiType", r => r.E.XsiType),
    }.ToDictionary(c => c.Key, StringComparer.Ordinal);

    /// <summary>Aliases that share an xpath with another and come out under that one's name (HashMap order).</summary>
    private static readonly Dictionary<string, string> SameXpath = new(StringComparer.Ordinal) { ["studyInstanceUID"] = "UID" };

    private static readonly string[] DefaultColumns = { "ID", "project", "date", "xsiType", "label", "insert_date" };

    /// <summary>Resolves an xpath column (case-insensitive element and field), or null when XNAT would not know it.</summary>
    private static ListingColumn? Xpath(string xpath)
    {
        var key = xpath.ToLowerInvariant();
        var slash = key.IndexOf('/');
        var element = key[..slash];
        var field = key[(slash + 1)..];
        if (element == "xnat:imagescandata")
        {
            Func<XnatScan, string>? scan = field switch
            {
                "id" => s => s.Id, "type" => s => s.Type, "quality" => s => s.Quality, "note" => s => s.Note,
                "series_description" => s => s.SeriesDescription, "uid" => s => s.Uid, "modality" => s => s.Modality,
                "frames" => s => s.Frames?.ToString(CultureInfo.InvariantCulture) ?? "", "xsitype" or "extension_item/element_name" => s => s.XsiType,
                _ => null,
            };
            return scan is null ? null : new ListingColumn(key, r => r.Scan is { } s ? scan(s) : "", IsScanColumn: true);
        }
        if (!XnatTypes.IsKnownElement(element)) return null;
        Func<ListingRow, string>? value = field switch
        {
            "id" => r => r.E.Id, "label" => r => r.E.Label, "project" => r => r.E.Project, "date" => r => Date(r.E.Date),
            "time" => r => r.E.Time, "uid" => r => r.E.Uid, "scanner" => r => r.E.Scanner, "modality" => r => r.E.Modality,
            "dcmaccessionnumber" => r => r.E.AccessionNumber, "dcmpatientid" => r => r.E.DcmPatientId,
            "dcmpatientname" => r => r.E.DcmPatientName, "study_id" => r => r.E.StudyId, "subject_id" => r => r.E.SubjectId,
            "session_type" or "operator" or "note" or "acquisition_site" => _ => "",
            "meta/insert_date" => r => XnatTypes.Timestamp(r.E.InsertDate), "meta/insert_user/login" => r => r.E.InsertUser,
            "extension_item/element_name" => r => r.E.XsiType,
            _ => null,
        };
        if (value is null) return null;
        // A joined element the row is not an instance of yields NULL, written as "".
        return new ListingColumn(key, r => XnatTypes.IsInstanceOf(r.E.XsiType, element) ? value(r) : "");
    }

    /// <summary>The columns XNAT returns for a <c>columns=</c> value (or the defaults), with the key column and URI.</summary>
    public static List<ListingColumn> Columns(string? requested, string root, bool isSubjectAssessorRoot)
    {
        var names = new List<string>();
        if (string.IsNullOrEmpty(requested) || requested == "DEFAULT")
        {
            names.AddRange(DefaultColumns);
            if (isSubjectAssessorRoot) names.AddRange(new[] { "subject_ID", "subject_label" });
        }
        else
        {
            names.AddRange(requested.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        }
        var columns = new List<ListingColumn>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            ListingColumn? column = name.Contains('/') ? Xpath(name)
                : Aliases.GetValueOrDefault(SameXpath.GetValueOrDefault(name, name));
            // Unknown or miscased aliases and unknown xpaths are dropped without a word (only logged by XNAT).
            if (column is not null && seen.Add(column.Key)) columns.Add(column);
        }
        if (!string.Equals(root, "xnat:experimentData", StringComparison.OrdinalIgnoreCase))
        {
            // QueryOrganizer adds the root's primary key; without an alias it is headed by its lower-cased xpath.
            var key = root.ToLowerInvariant() + "/id";
            if (seen.Add(key)) columns.Add(new ListingColumn(key, r => r.E.Id));
        }
        columns.Add(new ListingColumn("URI", r => "/data/experiments/" + r.E.Id));
        return columns;
    }

    /// <summary>Query parameters that are not filters.</summary>
    private static readonly HashSet<string> NotFilters = new(StringComparer.Ordinal)
    {
        "format", "columns", "xsiType", "limit", "offset", "sortBy", "sortOrder", "_", "fields", "CSRF",
    };

    /// <summary>Filters from the query string: any alias (case-sensitive) or xpath, values comma-separated and ORed.</summary>
    public static List<Func<ListingRow, bool>> Filters(IQueryCollection query, bool projectScoped)
    {
        var filters = new List<Func<ListingRow, bool>>();
        foreach (var (name, values) in query)
        {
            if (NotFilters.Contains(name) || (projectScoped && name == "project")) continue;
            if (name.EndsWith("/sharing/share/project", StringComparison.OrdinalIgnoreCase) && XnatTypes.IsKnownElement(name[..name.IndexOf('/')]))
            {
                // dax's variant of the per-scan listing for sessions shared into a project (their primary labels).
                var projects = values.ToString().Split(',');
                filters.Add(r => r.E.Shares.Any(share => projects.Contains(share.Project)));
                continue;
            }
            ListingColumn? column = name.Contains('/') ? Xpath(name) : Aliases.GetValueOrDefault(SameXpath.GetValueOrDefault(name, name));
            if (column is null) continue;
            var value = values.ToString();
            var isDate = name == "date" || name.EndsWith("/date", StringComparison.OrdinalIgnoreCase);
            filters.Add(isDate ? DateFilter(column, value) : StringFilter(column, value));
        }
        return filters;
    }

    private static Func<ListingRow, bool> StringFilter(ListingColumn column, string values)
    {
        var tests = values.Split(',').Select(v =>
        {
            if (v.Contains('*') || v.Contains('%'))
            {
                var pattern = "^" + System.Text.RegularExpressions.Regex.Escape(v.Replace('*', '%')).Replace("%", ".*") + "$";
                var regex = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant);
                return (Func<string, bool>)(s => regex.IsMatch(s));
            }
            return s => s == v;
        }).ToArray();
        return r => { var s = column.Value(r); return tests.Any(t => t(s)); };
    }

    /// <summary>Raised when a date value reaches the SQL unparsed (PostgreSQL rejects it: a 500).</summary>
    public sealed class UnparsableDateException(string value) : Exception($"ERROR: invalid input syntax for type date: \"{value}\"");

    /// <summary>
    /// processDateQuery: a value with '-' is a range split at the FIRST '-' (so ISO dates break); each side is
    /// parsed by DateUtils (MM/dd/yyyy, MM.dd.yyyy, yyyyMMdd; lenient like SimpleDateFormat: month 13 rolls over).
    /// A side that does not parse reaches PostgreSQL as it is, which rejects it — thrown here when the filter is built.
    /// </summary>
    private static Func<ListingRow, bool> DateFilter(ListingColumn column, string values)
    {
        var ranges = new List<(DateOnly From, DateOnly To)>();
        foreach (var value in values.Split(','))
        {
            var dash = value.IndexOf('-');
            if (dash >= 0) ranges.Add((ParseXnatDate(value[..dash]), ParseXnatDate(value[(dash + 1)..])));
            else { var d = ParseXnatDate(value); ranges.Add((d, d)); }
        }
        return r =>
        {
            var text = column.Value(r);
            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) return false;
            return ranges.Any(x => date >= x.From && date <= x.To);
        };
    }

    internal static DateOnly ParseXnatDate(string text)
    {
        var t = text.Trim();
        var parts = t.Split('/', '.');
        if (parts.Length == 3 && parts.All(p => p.Length > 0 && p.All(char.IsAsciiDigit)) && parts[2].Length == 4)
            return Lenient(int.Parse(parts[2], CultureInfo.InvariantCulture), int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
        if (t.Length == 8 && t.All(char.IsAsciiDigit))
            return Lenient(int.Parse(t[..4], CultureInfo.InvariantCulture), int.Parse(t[4..6], CultureInfo.InvariantCulture), int.Parse(t[6..], CultureInfo.InvariantCulture));
        throw new UnparsableDateException(text);
    }

    private static DateOnly Lenient(int year, int month, int day) =>
        new DateOnly(year, 1, 1).AddMonths(month - 1).AddDays(day - 1);

    /// <summary>The rows a listing sees before filtering.</summary>
    public static IEnumerable<ListingRow> Expand(IEnumerable<ListingRow> rows, bool perScan, bool includeScanless)
    {
        foreach (var row in rows)
        {
            if (!perScan) { yield return row; continue; }
            if (row.E.Scans.Count == 0)
            {
                if (includeScanless) yield return row;
                continue;
            }
            foreach (var scan in row.E.Scans) yield return row with { Scan = scan };
        }
    }

    /// <summary>Builds the XFT table of a listing: filters, per-scan rows, paging without a stable order, sorting within the page.</summary>
    public static XftTable Build(XnatState state, IQueryCollection query, IEnumerable<ListingRow> rows, List<ListingColumn> columns,
        List<Func<ListingRow, bool>> filters, string? title, int requestNumber)
    {
        var perScan = columns.Any(c => c.IsScanColumn);
        var selected = Expand(rows, perScan, state.Options.ScanlessSessionsInScanListing).Where(r => filters.All(f => f(r)));
        var table = new XftTable(columns.Select(c => c.Key).ToArray());
        var all = selected.Select(r => columns.Select(c => c.Value(r)).ToArray()).ToList();
        var limitText = query["limit"].ToString();
        var paged = limitText.Length > 0 && limitText != "*";
        if (paged)
        {
            // No ORDER BY in XNAT's SQL: every page is cut from an order of the database's choosing.
            new Random(requestNumber).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(all));
            var limit = int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : 100;
            var offset = int.TryParse(query["offset"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : 0;
            all = all.Skip(offset).Take(limit).ToList();
        }
        var sortBy = query["sortBy"].ToString();
        if (sortBy.Length > 0)
        {
            var index = table.Columns.ToList().IndexOf(sortBy);
            if (index >= 0)
            {
                all.Sort((a, b) => string.CompareOrdinal(a[index], b[index]));
                if (string.Equals(query["sortOrder"].ToString(), "DESC", StringComparison.OrdinalIgnoreCase)) all.Reverse();
            }
        }
        table.Rows.AddRange(all);
        if (!paged) table.Meta.Add(new("totalRecords", all.Count.ToString(CultureInfo.InvariantCulture)));
        if (title is not null) table.Meta.Add(new("title", title));
        return table;
    }

    /// <summary>Scan listing columns (ScanList.java defaults and IMAGE_SCAN_DATA aliases).</summary>
    public static List<(string Key, Func<XnatScan, string> Value)> ScanColumns(string? requested, string sessionId)
    {
        var aliases = new Dictionary<string, Func<XnatScan, string>>(StringComparer.Ordinal)
        {
            ["xnat_imagescandata_id"] = s => s.Key.ToString(CultureInfo.InvariantCulture), ["ID"] = s => s.Id, ["type"] = s => s.Type,
            ["quality"] = s => s.Quality, ["xsiType"] = s => s.XsiType, ["note"] = s => s.Note,
            ["series_description"] = s => s.SeriesDescription, ["UID"] = s => s.Uid, ["modality"] = s => s.Modality,
            ["frames"] = s => s.Frames?.ToString(CultureInfo.InvariantCulture) ?? "",
        };
        var names = string.IsNullOrEmpty(requested) || requested == "DEFAULT"
            ? new[] { "xnat_imagescandata_id", "ID", "type", "quality", "xsiType", "note", "series_description" }
            : requested.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var columns = names.Where(aliases.ContainsKey).Distinct().Select(n => (n, aliases[n])).ToList();
        columns.Add(("URI", s => $"/data/experiments/{sessionId}/scans/{s.Id}"));
        return columns;
    }
}
