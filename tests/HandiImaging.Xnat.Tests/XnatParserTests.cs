using System.Text;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Xnat.Tests;

/// <summary>The readers on XNAT's answers exactly as xnat.md gives them.</summary>
public class XnatParserTests
{
    private static List<XnatRow> Rows(string json) =>
        XnatJson.ReadResultSet(new MemoryStream(Encoding.UTF8.GetBytes(json)), "GET test").ToList();

    [Fact]
    public void ResultSet_with_string_values_meta_after_result_and_unstable_key_order()
    {
        var rows = Rows("""
            {"ResultSet":{"Result":[{"label":"RAD123","ID":"XNAT_E00001","date":"2023-01-05","UID":"1.2.3","URI":"/data/experiments/XNAT_E00001"},
            {"URI":"/data/experiments/XNAT_E00002","UID":"","ID":"XNAT_E00002","date":"","label":"RAD124"}],"totalRecords":"2","title":"Matching experiments"}}
            """);
        Assert.Equal(2, rows.Count);
        Assert.Equal("XNAT_E00001", rows[0]["ID"]);
        Assert.Equal("1.2.3", rows[0]["UID"]);
        Assert.Equal("", rows[1]["UID"]);
        Assert.Equal("RAD124", rows[1]["label"]);
        Assert.True(rows[1].Has("URI"));
    }

    [Fact]
    public void ResultSet_meta_before_result_and_project_form_without_title()
    {
        var rows = Rows("""{"ResultSet":{"totalRecords":"1","Result":[{"ID":"E1","subject_label":"9434765919"}]}}""");
        Assert.Single(rows);
        Assert.Equal("9434765919", rows[0]["subject_label"]);
    }

    [Fact]
    public void ResultSet_empty()
    {
        Assert.Empty(Rows("""{"ResultSet":{"Result":[], "totalRecords": "0", "title": "Matching experiments"}}"""));
    }

    [Fact]
    public void A_body_cut_short_of_totalRecords_is_an_error_not_a_shorter_list()
    {
        var ex = Assert.Throws<XnatException>(() => Rows("""{"ResultSet":{"Result":[{"ID":"E1"}],"totalRecords":"57"}}"""));
        Assert.Equal(XnatErrorId.UnexpectedResponse, ex.ErrorId);
        Assert.Contains("57", ex.Message);
    }

    [Fact]
    public void Truncated_json_is_an_unexpected_response()
    {
        var ex = Assert.Throws<XnatException>(() => Rows("""{"ResultSet":{"Result":[{"ID":"E1"},{"ID":"E"""));
        Assert.Equal(XnatErrorId.UnexpectedResponse, ex.ErrorId);
    }

    [Fact]
    public void Numbers_and_nulls_from_other_versions_are_read_as_text()
    {
        var rows = Rows("""{"ResultSet":{"Result":[{"ID":"E1","scans":7,"note":null}]}}""");
        Assert.Equal("7", rows[0]["scans"]);
        Assert.Equal("", rows[0]["note"]);
    }

    [Fact]
    public void Import_answer_entries_with_epoch_ms_numbers_and_nulls_omitted()
    {
        const string body = """
            [{"id":17,"username":"admin","pacsId":1,"xnatProject":"RT-HaND","studyInstanceUid":"1.2.840.1","seriesIds":["1.2.840.1.1"],
              "destinationAeTitle":"XNAT:8104","status":"QUEUED","priority":10,"queuedTime":1700000000123,"created":1700000000100,
              "timestamp":1700000000123,"studyDate":"20231101","accessionNumber":"RAD9","patientId":"9434765919","patientName":"9434765919"}]
            """;
        var entry = Assert.Single(XnatJson.ReadRequests(body, "POST /xapi/dqr/import"));
        Assert.Equal(17, entry.Id);
        Assert.Equal("1.2.840.1", entry.StudyInstanceUid);
        Assert.Equal("QUEUED", entry.Status);
        Assert.Equal(1700000000123, entry.QueuedTime);
        Assert.Equal(10, entry.Priority);
        Assert.Null(entry.ExecutedTime);
        Assert.Equal("", entry.ErrorMessage);
    }

    [Fact]
    public void History_row_with_error_message_and_no_patient_id()
    {
        var entry = Assert.Single(XnatJson.ReadRequests("""[{"id":"301","studyInstanceUid":"1.2","status":"failed","executedTime":1700000300000,"queuedTime":1700000000123,"errorMessage":"C-MOVE failed"}]""", "h"));
        Assert.Equal(301, entry.Id);
        Assert.Equal("FAILED", entry.Status);
        Assert.Equal("C-MOVE failed", entry.ErrorMessage);
    }

    [Fact]
    public void A_204_with_no_body_is_no_entries()
    {
        Assert.Empty(XnatJson.ReadRequests("", "GET /xapi/dqr/import/queue"));
    }

    [Fact]
    public void Tomcat_error_page_message()
    {
        const string page = "<!doctype html><html lang=\"en\"><head><title>HTTP Status 401 – Unauthorized</title><style type=\"text/css\">body {font-family:Tahoma}</style></head>"
            + "<body><h1>HTTP Status 401 – Unauthorized</h1><hr class=\"line\" /><p><b>Type</b> Status Report</p><p><b>Message</b> Login attempt failed. Please try again.</p>"
            + "<p><b>Description</b> The request has not been applied because it lacks valid authentication credentials for the target resource.</p></body></html>";
        Assert.Equal("Login attempt failed. Please try again.", XnatMessageText.Of("text/html", page));
        Assert.True(XnatMessageText.LooksLikeHtml(null, page));
    }

    [Fact]
    public void Plain_text_xapi_message_is_kept()
    {
        Assert.Equal("No remapping processors available for this SCP receiver", XnatMessageText.Of("text/plain", "No remapping processors available for this SCP receiver\n"));
    }

    [Fact]
    public void Import_body_relabels_subject_and_session()
    {
        var body = Newtonsoft.Json.Linq.JObject.Parse(DqrClient.ImportBody("RT-HaND", 1, "XNAT", 8104, new[] { new DqrImportStudy("1.2.3", "9434765919", "RAD1") }));
        Assert.Equal(1, (long)body["pacsId"]!);
        Assert.Equal("XNAT", (string)body["aeTitle"]!);
        Assert.Equal(8104, (int)body["port"]!);
        Assert.Equal("RT-HaND", (string)body["projectId"]!);
        Assert.False((bool)body["forceImport"]!);
        var study = body["studies"]![0]!;
        Assert.Equal("1.2.3", (string)study["studyInstanceUid"]!);
        Assert.Empty(study["seriesInstanceUids"]!);
        Assert.Equal("9434765919", (string)study["relabelMap"]!["Subject"]!);
        Assert.Equal("RAD1", (string)study["relabelMap"]!["Session"]!);
    }

    [Theory]
    [InlineData("MR", "Subject,Date,MR ID,Scanner,Scans")]
    [InlineData("CT", "Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans")]
    [InlineData("PET", "Subject,Date,XNAT_PETSESSIONDATA ID,UID,Scans")]
    [InlineData("CR", "Subject,Date,XNAT_CRSESSIONDATA ID,ID,Session")]
    [InlineData("DX", "Subject,Date,XNAT_DXSESSIONDATA ID,UID,Scans")]
    [InlineData("RF", "Subject,Date,XNAT_RFSESSIONDATA ID,ID,Session")]
    [InlineData("SR", "Subject,Date,XNAT_SRSESSIONDATA ID,ID,Creator")]
    [InlineData("XA", "Subject,Date,XNAT_XASESSIONDATA ID,ID,Creator")]
    public void Summary_headers_are_the_domain_files_headers(string type, string header)
    {
        Assert.Equal(header, string.Join(",", XnatSessionType.Get(type).Header));
    }

    [Fact]
    public void Summary_types_are_the_eight_exports_in_order()
    {
        Assert.Equal(XnatSessionExports.Types, XnatSessionType.Summary.Select(t => t.Name));
        Assert.Equal(new[] { "xnat:petSessionData" }, XnatSessionType.Get("pet").XsiTypes);
    }

    [Fact]
    public void Timestamps_and_dates()
    {
        Assert.Equal(new DateTime(2023, 1, 5, 10, 15, 22, 123), XnatValues.ParseTimestamp("2023-01-05 10:15:22.123"));
        Assert.Equal(new DateTime(2023, 1, 5, 10, 15, 22), XnatValues.ParseTimestamp("2023-01-05 10:15:22.0"));
        Assert.Equal(new DateTime(2023, 1, 5), XnatValues.ParseDate("2023-01-05"));
        Assert.Null(XnatValues.ParseDate("01/05/2023"));
        Assert.Null(XnatValues.ParseDate(""));
        Assert.Equal(new DateTime(2023, 11, 1), XnatValues.ReadStudyDate("20231101"));
        Assert.Equal("NN_H123", XnatValues.SubjectLabel("H123", " "));
        Assert.Equal("9434765919", XnatValues.SubjectLabel("H123", "943 476 5919"));
    }
}
