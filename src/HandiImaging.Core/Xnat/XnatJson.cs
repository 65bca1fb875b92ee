using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace HandiImaging.Core.Xnat
{
    /// <summary>One row of an XNAT listing: column key → value (every value a string; XNAT's null is "").</summary>
    public sealed class XnatRow
    {
        private readonly Dictionary<string, string> _values;

        internal XnatRow(Dictionary<string, string> values) => _values = values;

        public IReadOnlyCollection<string> Columns => _values.Keys;

        public bool Has(string column) => _values.ContainsKey(column);

        /// <summary>The value, or "" when the row has no such column.</summary>
        public string this[string column] => _values.TryGetValue(column, out var v) ? v : "";
    }

    /// <summary>
    /// Readers for XNAT's JSON: the listing envelope <c>{"ResultSet":{"Result":[…],"totalRecords":"N",…}}</c>
    /// (streamed row by row; keys in any order, meta before or after Result) and DQR's request entries.
    /// </summary>
    public static class XnatJson
    {
        /// <summary>
        /// Streams the rows of a ResultSet. When the envelope has <c>totalRecords</c> the row count must match
        /// it (a cut-off body is an error, not a shorter list).
        /// </summary>
        public static IEnumerable<XnatRow> ReadResultSet(Stream body, string what)
        {
            using var text = new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
            using var json = new JsonTextReader(text) { DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal, CloseInput = false };
            long rows = 0;
            long? total = null;
            var sawResult = false;
            if (!Next(json, what) || json.TokenType != JsonToken.StartObject) throw Unexpected(what, "the answer is not a JSON object");
            // Find "ResultSet".
            var inResultSet = false;
            while (Next(json, what) && json.TokenType == JsonToken.PropertyName)
            {
                if ((string)json.Value! == "ResultSet")
                {
                    Next(json, what);
                    if (json.TokenType != JsonToken.StartObject) throw Unexpected(what, "ResultSet is not an object");
                    inResultSet = true;
                    break;
                }
                Next(json, what);
                json.Skip();
            }
            if (!inResultSet) throw Unexpected(what, "the answer has no ResultSet");
            while (Next(json, what) && json.TokenType == JsonToken.PropertyName)
            {
                var name = (string)json.Value!;
                Next(json, what);
                if (name == "Result")
                {
                    if (json.TokenType != JsonToken.StartArray) throw Unexpected(what, "Result is not an array");
                    sawResult = true;
                    while (Next(json, what) && json.TokenType != JsonToken.EndArray)
                    {
                        if (json.TokenType != JsonToken.StartObject) throw Unexpected(what, $"row {rows + 1} is not an object");
                        var row = ReadRow(json, what);
                        rows++;
                        yield return row;
                    }
                }
                else if (name == "totalRecords")
                {
                    var value = Scalar(json);
                    if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) total = n;
                    else throw Unexpected(what, $"totalRecords is '{value}', not a number");
                }
                else
                {
                    json.Skip();
                }
            }
            if (!sawResult) throw Unexpected(what, "ResultSet has no Result array");
            if (total.HasValue && total.Value != rows)
                throw Unexpected(what, $"XNAT announced {total.Value} rows and sent {rows}");
        }

        private static XnatRow ReadRow(JsonTextReader json, string what)
        {
            var values = new Dictionary<string, string>(16, StringComparer.Ordinal);
            while (Next(json, what) && json.TokenType == JsonToken.PropertyName)
            {
                var key = (string)json.Value!;
                Next(json, what);
                values[key] = Scalar(json);
            }
            return new XnatRow(values);
        }

        /// <summary>A scalar as text (XNAT sends strings; a number or null from another version is taken as its text).</summary>
        private static string Scalar(JsonTextReader json)
        {
            switch (json.TokenType)
            {
                case JsonToken.String: return (string)json.Value!;
                case JsonToken.Null:
                case JsonToken.Undefined: return "";
                case JsonToken.Integer:
                case JsonToken.Float:
                case JsonToken.Boolean:
                    return Convert.ToString(json.Value, CultureInfo.InvariantCulture) ?? "";
                default:
                    var token = JToken.Load(json);
                    return token.ToString(Formatting.None);
            }
        }

        private static bool Next(JsonTextReader json, string what)
        {
            try
            {
                return json.Read();
            }
            catch (JsonReaderException ex)
            {
                throw Unexpected(what, $"the JSON is malformed at line {ex.LineNumber}, position {ex.LinePosition}");
            }
        }

        private static XnatException Unexpected(string what, string problem) =>
            new XnatException(XnatErrorId.UnexpectedResponse, $"{what}: {problem}.");

        /// <summary>DQR request entries (an import answer, the queue or the history): a JSON array of objects.</summary>
        public static IReadOnlyList<DqrRequestEntry> ReadRequests(string body, string what)
        {
            if (string.IsNullOrWhiteSpace(body)) return Array.Empty<DqrRequestEntry>();
            JToken token;
            try
            {
                token = JToken.Parse(body);
            }
            catch (JsonReaderException ex)
            {
                throw Unexpected(what, $"the JSON is malformed at line {ex.LineNumber}, position {ex.LinePosition}");
            }
            if (token is not JArray array) throw Unexpected(what, "expected a JSON array of requests");
            var list = new List<DqrRequestEntry>(array.Count);
            foreach (var item in array)
            {
                if (item is not JObject o) throw Unexpected(what, "an entry is not an object");
                list.Add(new DqrRequestEntry
                {
                    Id = Long(o, "id"),
                    StudyInstanceUid = Text(o, "studyInstanceUid"),
                    Status = Text(o, "status").ToUpperInvariant(),
                    XnatProject = Text(o, "xnatProject"),
                    QueuedTime = Long(o, "queuedTime"),
                    ExecutedTime = Long(o, "executedTime"),
                    Created = Long(o, "created"),
                    Priority = (int?)Long(o, "priority"),
                    Retries = (int?)Long(o, "retries"),
                    ErrorMessage = Text(o, "errorMessage"),
                    AccessionNumber = Text(o, "accessionNumber"),
                    DestinationAeTitle = Text(o, "destinationAeTitle"),
                });
            }
            return list;
        }

        private static string Text(JObject o, string name) =>
            o.TryGetValue(name, StringComparison.Ordinal, out var v) && v.Type != JTokenType.Null ? v.ToString() : "";

        private static long? Long(JObject o, string name)
        {
            if (!o.TryGetValue(name, StringComparison.Ordinal, out var v)) return null;
            if (v.Type == JTokenType.Integer) return v.Value<long>();
            // grxnat sends ids as strings; DQR's answers are numbers, but accept both.
            return long.TryParse(v.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : (long?)null;
        }
    }

    /// <summary>One DQR queue or history entry (QueuedPacsRequest / ExecutedPacsRequest); times are epoch ms.</summary>
    public sealed class DqrRequestEntry
    {
        public long? Id { get; set; }
        public string StudyInstanceUid { get; set; } = "";
        /// <summary>QUEUED, PROCESSING, ISSUED, FAILED or RECEIVED (upper case).</summary>
        public string Status { get; set; } = "";
        public string XnatProject { get; set; } = "";
        public long? QueuedTime { get; set; }
        public long? ExecutedTime { get; set; }
        public long? Created { get; set; }
        public int? Priority { get; set; }
        public int? Retries { get; set; }
        public string ErrorMessage { get; set; } = "";
        public string AccessionNumber { get; set; } = "";
        public string DestinationAeTitle { get; set; } = "";
    }
}
