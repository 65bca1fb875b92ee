using System.Net;
using System.Text.Json;

namespace HandiImaging.XnatDouble.Tests;

/// <summary>xnat.md §2: experiment listings, columns, filters, JSON and CSV shapes, scans, search elements, prearchive.</summary>
public sealed class ListingTests : IAsyncLifetime
{
    private XnatDouble _xnat = null!;
    private Raw _raw = null!;
    private string _admin = "";

    public async Task InitializeAsync()
    {
        _xnat = await Doubles.Start();
        var s = _xnat.State;
        var mr = Doubles.Session("MR1", uid: "1.1", date: "2024-02-03");
        mr.Scanner = "Avanto, 1.5T \"fast\"";
        mr.Scans[1].SeriesDescription = "line one\nline two";
        s.AddExperiment(mr);
        s.AddExperiment(Doubles.Session("CT1", "xnat:ctSessionData", uid: "1.2", date: "2024-03-10", scans: 3));
        s.AddExperiment(Doubles.Session("CR1", "xnat:crSessionData", uid: "1.3", date: "2023-12-31", scans: 0));
        s.AddExperiment(Doubles.Session("PETMR1", "xnat:petmrSessionData", uid: "1.4", date: "2024-05-05", scans: 1));
        var shared = Doubles.Session("OTHER1", "xnat:mrSessionData", project: "OTHER", uid: "1.5", date: "2024-06-01", scans: 1);
        shared.Shares.Add(new XnatShare("RT-HaND", "SHARED1", "SUBJ_SHARED"));
        s.AddExperiment(shared);
        _raw = new Raw(_xnat);
        _admin = await _raw.Login();
    }

    public async Task DisposeAsync()
    {
        _raw.Dispose();
        await _xnat.DisposeAsync();
    }

    private static string S(Dictionary<string, JsonElement> row, string key)
    {
        Assert.Equal(JsonValueKind.String, row[key].ValueKind);
        return row[key].GetString()!;
    }

    [Fact]
    public async Task Project_listing_JSON_has_only_string_values_totalRecords_as_a_string_no_title_and_shared_sessions_under_their_labels()
    {
        var (rows, set) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?format=json", _admin);
        Assert.Equal("5", set.GetProperty("totalRecords").GetString());
        Assert.False(set.TryGetProperty("title", out _));
        Assert.All(rows, r => Assert.All(r.Values, v => Assert.Equal(JsonValueKind.String, v.ValueKind)));
        var defaults = new[] { "ID", "project", "date", "xsiType", "label", "insert_date", "subject_ID", "subject_label", "xnat:subjectassessordata/id", "URI" };
        Assert.All(rows, r => Assert.Equal(defaults.OrderBy(k => k), r.Keys.OrderBy(k => k)));
        var sharedRow = rows.Single(r => S(r, "label") == "SHARED1");
        Assert.Equal("RT-HaND", S(sharedRow, "project"));
        Assert.Equal("SUBJ_SHARED", S(sharedRow, "subject_label"));
        Assert.Equal("/data/experiments/" + S(sharedRow, "ID"), S(sharedRow, "URI"));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{1,3}$", S(rows[0], "insert_date"));
        Assert.Equal("2024-02-03", S(rows.Single(r => S(r, "label") == "MR1"), "date"));
    }

    [Fact]
    public async Task Site_wide_listing_has_a_title_and_its_project_filter_misses_shared_in_sessions()
    {
        var (rows, set) = await _raw.ResultSet("/data/experiments?project=RT-HaND&columns=ID,label,project", _admin);
        Assert.Equal("Matching experiments", set.GetProperty("title").GetString());
        Assert.Equal(4, rows.Count);
        Assert.DoesNotContain(rows, r => S(r, "label") is "SHARED1" or "OTHER1");
        // Site-wide without xsiType: the root is xnat:experimentData, so no extra key column.
        Assert.All(rows, r => Assert.Equal(new[] { "ID", "URI", "label", "project" }, r.Keys.OrderBy(k => k, StringComparer.Ordinal)));
    }

    [Fact]
    public async Task Shared_in_sessions_are_found_site_wide_through_the_sharing_xpath_and_by_subject()
    {
        var (rows, _) = await _raw.ResultSet("/data/experiments?xsiType=xnat:imageSessionData&xnat:imagesessiondata/sharing/share/project=RT-HaND&columns=ID,label,xnat:imagescandata/id", _admin);
        Assert.Equal("OTHER1", Assert.Single(rows)["label"].GetString());
        var (bySubject, _) = await _raw.ResultSet("/data/projects/RT-HaND/subjects/SUBJ_MR1/experiments?columns=label", _admin);
        Assert.Equal("MR1", Assert.Single(bySubject)["label"].GetString());
    }

    [Fact]
    public async Task JSON_key_order_is_not_stable()
    {
        var orders = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            var body = await _raw.Text("/data/projects/RT-HaND/experiments?columns=ID,label,UID,date,scanner", _admin);
            using var doc = JsonDocument.Parse(body);
            foreach (var row in doc.RootElement.GetProperty("ResultSet").GetProperty("Result").EnumerateArray())
                orders.Add(string.Join(",", row.EnumerateObject().Select(p => p.Name)));
            var meta = doc.RootElement.GetProperty("ResultSet").EnumerateObject().Select(p => p.Name).ToList();
            Assert.Equal("Result", meta[0]);
        }
        Assert.True(orders.Count > 1, "every row came back with the same key order");
    }

    [Fact]
    public async Task CSV_quotes_minimally_turns_line_breaks_into_spaces_ends_lines_with_LF_and_puts_URI_last()
    {
        using var response = await _raw.Get("/data/projects/RT-HaND/experiments?format=csv&xsiType=xnat:mrSessionData&columns=ID,label,scanner,xnat:imagescandata/id,xnat:imagescandata/series_description", cookie: _admin);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.NotEqual(0xEF, bytes[0]);
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.DoesNotContain("\r", text, StringComparison.Ordinal);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.Equal("ID,label,scanner,xnat:imagescandata/id,xnat:imagescandata/series_description,xnat:mrsessiondata/id,URI", lines[0]);
        var mrId = _xnat.State.ExperimentsIn("RT-HaND").Single(e => e.Label == "MR1").Id;
        Assert.Contains($"{mrId},MR1,\"Avanto, 1.5T \"\"fast\"\"\",1,series 1,{mrId},/data/experiments/{mrId}", lines);
        Assert.Contains($"{mrId},MR1,\"Avanto, 1.5T \"\"fast\"\"\",2,line one line two,{mrId},/data/experiments/{mrId}", lines);
    }

    [Fact]
    public async Task Unknown_and_miscased_aliases_are_dropped_silently_and_studyInstanceUID_comes_back_as_UID()
    {
        var (rows, _) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?columns=ID,uid,Label,nonsense,xnat:mrsessiondata/nosuchfield,studyInstanceUID,dcmAccessionNumber", _admin);
        Assert.All(rows, r => Assert.Equal(new[] { "ID", "UID", "URI", "dcmAccessionNumber", "xnat:subjectassessordata/id" }, r.Keys.OrderBy(k => k, StringComparer.Ordinal)));
    }

    [Fact]
    public async Task XsiType_takes_one_type_adds_its_key_column_and_a_comma_list_is_ignored()
    {
        var (mr, _) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?xsiType=xnat:mrSessionData&columns=ID,label,xsiType", _admin);
        Assert.Equal(new[] { "MR1", "SHARED1" }, mr.Select(r => S(r, "label")).OrderBy(l => l));
        Assert.All(mr, r => Assert.Equal(S(r, "ID"), S(r, "xnat:mrsessiondata/id")));
        var (both, set) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?xsiType=xnat:mrSessionData,xnat:ctSessionData&columns=ID,label", _admin);
        Assert.Equal("5", set.GetProperty("totalRecords").GetString());
        Assert.Equal(5, both.Count);
        var (pet, _) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?xsiType=xnat:petSessionData&columns=label", _admin);
        Assert.Equal("PETMR1", S(Assert.Single(pet), "label"));
    }

    [Fact]
    public async Task UID_filter_takes_an_OR_list_and_is_case_sensitive_in_its_name()
    {
        var (rows, _) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?UID=1.1,1.2&columns=label", _admin);
        Assert.Equal(new[] { "CT1", "MR1" }, rows.Select(r => S(r, "label")).OrderBy(l => l));
        var (ignored, _) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?uid=1.1&columns=label", _admin);
        Assert.Equal(5, ignored.Count);
        var (like, _) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?label=C*&columns=label", _admin);
        Assert.Equal(new[] { "CR1", "CT1" }, like.Select(r => S(r, "label")).OrderBy(l => l));
    }

    [Theory]
    [InlineData("01/01/2024-03/31/2024", "CT1,MR1")]
    [InlineData("20240101-20240331", "CT1,MR1")]
    [InlineData("02/03/2024", "MR1")]
    [InlineData("12/31/2023,05/05/2024", "CR1,PETMR1")]
    [InlineData("13/01/2023-01/31/2024", "")] // lenient: month 13 of 2023 is January 2024, so the range starts 2024-01-01
    public async Task Date_filter_reads_US_and_compact_dates(string filter, string expected)
    {
        var (rows, _) = await _raw.ResultSet($"/data/projects/RT-HaND/experiments?date={Uri.EscapeDataString(filter)}&columns=label", _admin);
        Assert.Equal(expected, string.Join(",", rows.Select(r => S(r, "label")).OrderBy(l => l)));
    }

    [Theory]
    [InlineData("2024-01-01")]
    [InlineData("2024-01-01-2024-03-31")]
    public async Task An_ISO_date_breaks_the_filter(string filter)
    {
        using var response = await _raw.Get($"/data/projects/RT-HaND/experiments?date={filter}&columns=label", cookie: _admin);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task The_per_scan_listing_has_one_row_per_scan_in_one_request()
    {
        var path = "/data/experiments?project=RT-HaND&xsiType=xnat:imageSessionData&columns=ID,label,subject_label,xnat:imagescandata/id,xnat:imagescandata/type";
        var (rows, set) = await _raw.ResultSet(path, _admin);
        var byLabel = rows.GroupBy(r => S(r, "label")).ToDictionary(g => g.Key, g => g.Count(r => S(r, "xnat:imagescandata/id").Length > 0));
        Assert.Equal(2, byLabel["MR1"]);
        Assert.Equal(3, byLabel["CT1"]);
        Assert.Equal(0, byLabel["CR1"]); // a scan-less session: one row, empty scan columns
        Assert.Equal(rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), set.GetProperty("totalRecords").GetString());
        Assert.All(rows, r => Assert.Equal(S(r, "ID"), S(r, "xnat:imagesessiondata/id")));
        Assert.Equal(1, _xnat.State.Requests.Count("GET /data/experiments"));
    }

    [Fact]
    public async Task Scanless_sessions_can_be_left_out_of_the_per_scan_listing()
    {
        _xnat.State.Options.ScanlessSessionsInScanListing = false;
        var (rows, _) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?columns=label,xnat:imagescandata/id", _admin);
        Assert.DoesNotContain(rows, r => S(r, "label") == "CR1");
    }

    [Fact]
    public async Task Paging_drops_totalRecords_and_limit_star_does_not()
    {
        var (page, set) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?columns=label&limit=2&offset=0", _admin);
        Assert.Equal(2, page.Count);
        Assert.False(set.TryGetProperty("totalRecords", out _));
        var (all, allSet) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?columns=label&limit=*", _admin);
        Assert.Equal(5, all.Count);
        Assert.Equal("5", allSet.GetProperty("totalRecords").GetString());
    }

    [Fact]
    public async Task Unknown_project_is_404_and_an_unreadable_one_403()
    {
        using var unknown = await _raw.Get("/data/projects/NOPE/experiments", cookie: _admin);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("Unable to identify project NOPE", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var member = await _raw.Login("member", "pw");
        using var forbidden = await _raw.Get("/data/projects/OTHER/experiments", cookie: member);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        var (site, _) = await _raw.ResultSet("/data/experiments?columns=label", member);
        Assert.DoesNotContain(site, r => S(r, "label") == "OTHER1");
    }

    [Fact]
    public async Task Scans_of_one_session_have_XNATs_default_columns()
    {
        var mr = _xnat.State.ExperimentsIn("RT-HaND").Single(e => e.Label == "MR1");
        var (rows, set) = await _raw.ResultSet($"/data/experiments/{mr.Id}/scans?format=json", _admin);
        Assert.Equal("2", set.GetProperty("totalRecords").GetString());
        Assert.Equal(new[] { "ID", "URI", "note", "quality", "series_description", "type", "xnat_imagescandata_id", "xsiType" }, rows[0].Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal($"/data/experiments/{mr.Id}/scans/1", S(rows[0], "URI"));
        var (byLabel, _) = await _raw.ResultSet("/data/projects/RT-HaND/experiments/MR1/scans", _admin);
        Assert.Equal(2, byLabel.Count);
        using var missing = await _raw.Get("/data/experiments/XNAT_E99999/scans", cookie: _admin);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Search_elements_count_each_session_type()
    {
        var (rows, set) = await _raw.ResultSet("/data/search/elements?format=json", _admin);
        Assert.Equal("Data-Types", set.GetProperty("title").GetString());
        var mr = rows.Single(r => S(r, "ELEMENT_NAME") == "xnat:mrSessionData");
        Assert.Equal("2", S(mr, "COUNT"));
        Assert.Equal("true", S(mr, "SECURED"));
        Assert.Equal("MR Sessions", S(mr, "PLURAL"));
    }

    [Fact]
    public async Task A_large_project_comes_back_whole_in_one_streamed_answer()
    {
        await using var xnat = await Doubles.Start();
        for (var i = 0; i < 3000; i++) xnat.State.AddExperiment(Doubles.Session("L" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), scans: 4));
        using var raw = new Raw(xnat);
        var id = await raw.Login();
        var csv = await raw.Text("/data/experiments?project=RT-HaND&xsiType=xnat:imageSessionData&format=csv&columns=ID,label,xnat:imagescandata/id", id);
        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal(12_001, lines.Length);
        Assert.Equal(3000, lines.Skip(1).Select(l => l.Split(',')[0]).Distinct().Count());
        var (rows, set) = await raw.ResultSet("/data/projects/RT-HaND/experiments?columns=ID,label", id);
        Assert.Equal(3000, rows.Count);
        Assert.Equal("3000", set.GetProperty("totalRecords").GetString());
    }

    [Fact]
    public async Task Sorting_applies_columns_DEFAULT_works_and_an_unknown_type_matches_nothing()
    {
        var (sorted, _) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?columns=label&sortBy=label&sortOrder=DESC", _admin);
        Assert.Equal(new[] { "SHARED1", "PETMR1", "MR1", "CT1", "CR1" }, sorted.Select(r => S(r, "label")));
        var (defaults, _) = await _raw.ResultSet("/data/experiments?columns=DEFAULT", _admin);
        Assert.Equal(new[] { "ID", "URI", "date", "insert_date", "label", "project", "xsiType" }, defaults[0].Keys.OrderBy(k => k, StringComparer.Ordinal));
        var (none, set) = await _raw.ResultSet("/data/projects/RT-HaND/experiments?xsiType=xnat:mrSession", _admin);
        Assert.Empty(none);
        Assert.Equal("0", set.GetProperty("totalRecords").GetString());
    }

    [Fact]
    public async Task Projects_are_listed_and_one_project_is_an_item_document()
    {
        var (rows, _) = await _raw.ResultSet("/data/projects?format=json", _admin);
        Assert.Equal(new[] { "OTHER", "RT-HaND" }, rows.Select(r => S(r, "ID")).OrderBy(i => i, StringComparer.Ordinal));
        Assert.Equal("/data/projects/RT-HaND", S(rows.Single(r => S(r, "ID") == "RT-HaND"), "URI"));
        using var item = await _raw.Get("/data/projects/RT-HaND?format=json", cookie: _admin);
        using var doc = JsonDocument.Parse(await item.Content.ReadAsStringAsync());
        Assert.Equal("RT-HaND", doc.RootElement.GetProperty("items")[0].GetProperty("data_fields").GetProperty("ID").GetString());
        var member = await _raw.Login("member", "pw");
        using var hidden = await _raw.Get("/data/projects/OTHER", cookie: member);
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }

    [Fact]
    public async Task Requests_under_REST_answer_like_data()
    {
        var (rows, _) = await _raw.ResultSet("/REST/projects/RT-HaND/experiments?columns=label", _admin);
        Assert.Equal(5, rows.Count);
        Assert.Equal(1, _xnat.State.Requests.Count("GET /REST/projects/{project}/experiments"));
    }
}
