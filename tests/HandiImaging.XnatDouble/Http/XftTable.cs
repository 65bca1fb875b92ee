using System.Text;
using System.Text.Json;

namespace HandiImaging.XnatDouble.Http;

/// <summary>
/// A table as XNAT's XFTTable writes it: JSON <c>{"ResultSet":{"Result":[…], meta…}}</c> with every value a
/// string and key order not stable (org.json's HashMap), or CSV with minimal quoting, <c>\n</c> line ends, no BOM
/// and line breaks inside values turned into spaces.
/// </summary>
internal sealed class XftTable
{
    public XftTable(IReadOnlyList<string> columns) => Columns = columns;

    public IReadOnlyList<string> Columns { get; }
    public List<string[]> Rows { get; } = new();
    /// <summary>Meta entries written after Result (totalRecords, title …), values as strings.</summary>
    public List<KeyValuePair<string, string>> Meta { get; } = new();

    public static bool WantsCsv(HttpRequest request) =>
        string.Equals(request.Query["format"].ToString(), "csv", StringComparison.OrdinalIgnoreCase);

    public Task Write(HttpContext context, Random shuffle, bool shuffleKeys) =>
        WantsCsv(context.Request) ? WriteCsv(context) : WriteJson(context, shuffle, shuffleKeys);

    private async Task WriteJson(HttpContext context, Random random, bool shuffleKeys)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body, Responses.Writer);
        writer.WriteStartObject();
        writer.WriteStartObject("ResultSet");
        writer.WriteStartArray("Result");
        var order = Enumerable.Range(0, Columns.Count).ToArray();
        var rows = 0;
        foreach (var row in Rows)
        {
            if (shuffleKeys) random.Shuffle(order);
            writer.WriteStartObject();
            foreach (var i in order) writer.WriteString(Columns[i], row[i] ?? "");
            writer.WriteEndObject();
            if (++rows % 2000 == 0) await writer.FlushAsync();
        }
        writer.WriteEndArray();
        var meta = Meta.ToArray();
        if (shuffleKeys) random.Shuffle(meta);
        foreach (var (key, value) in meta) writer.WriteString(key, value);
        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync();
    }

    private async Task WriteCsv(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/csv";
        await using var writer = new StreamWriter(context.Response.Body, new UTF8Encoding(false), 64 * 1024);
        writer.NewLine = "\n";
        var line = new StringBuilder();
        AppendLine(line, Columns);
        await writer.WriteAsync(line);
        foreach (var row in Rows)
        {
            line.Clear();
            AppendLine(line, row);
            await writer.WriteAsync(line);
        }
        await writer.FlushAsync();
    }

    private static void AppendLine(StringBuilder line, IReadOnlyList<string> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0) line.Append(',');
            line.Append(EscapeCsv(cells[i]));
        }
        line.Append('\n');
    }

    /// <summary>ValueParserNoNewline, then commons-text escapeCsv: quote only when the value holds a comma or a quote.</summary>
    internal static string EscapeCsv(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var flat = value.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\r', ' ').Replace('\n', ' ');
        if (flat.IndexOfAny(new[] { ',', '"' }) < 0) return flat;
        return "\"" + flat.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
