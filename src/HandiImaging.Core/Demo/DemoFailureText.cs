using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Demo
{
    /// <summary>
    /// Renders failure records the way the ingestion team's text really arrives: a deterministic mix of
    /// spreadsheet rows with doubled quotes (values cut at their commas into extra cells, braces inside or
    /// outside the quotes), JSON lines, pretty-printed JSON arrays, CSV rows holding the JSON, and bare
    /// <c>"key":"value"</c> pairs (one record per line, or one pair per line) — with keys in any order, extra
    /// keys, nulls, numbers, DICOM dates, the nested <c>patient</c> shape and a few exact repeats.
    /// </summary>
    /// <remarks>
    /// Every record written here is read back by <see cref="Failures.FailureTextParser"/> as exactly the same
    /// values (placeholders and repeats aside); the round-trip tests hold the two to that. Records are written in
    /// the order given. Whitespace around IDs, dates and UIDs does not survive (the parser trims them).
    /// </remarks>
    public static class DemoFailureText
    {
        private enum Shape { JsonLines, Spreadsheet, PrettyArray, CsvJson, BarePairs }

        private static readonly CsvConfiguration TabConfig = new CsvConfiguration(CultureInfo.InvariantCulture) { Delimiter = "\t", NewLine = "\n", HasHeaderRecord = false };
        private static readonly CsvConfiguration CommaConfig = new CsvConfiguration(CultureInfo.InvariantCulture) { Delimiter = ",", NewLine = "\n", HasHeaderRecord = false };
        private static readonly string[] Reasons = { "No images found on PACS", "Study cancelled", "C-MOVE failed: 0xA701", "Timeout, retry later" };
        private static readonly string[] Modalities = { "CT", "MR", "PT", "SR", "XA", "RF", "DX", "CR", "OT" };

        /// <summary>Writes <paramref name="records"/> in a mix of every shape; the same seed gives the same text.</summary>
        public static void Write(TextWriter writer, IReadOnlyList<DemoFailure> records, int seed)
        {
            if (writer is null) throw new ArgumentNullException(nameof(writer));
            if (records is null) throw new ArgumentNullException(nameof(records));
            var rng = new Random(seed);
            var written = new List<DemoFailure>();
            var i = 0;
            while (i < records.Count)
            {
                var shape = (Shape)rng.Next(5);
                var block = new List<DemoFailure>();
                var size = 1 + rng.Next(8);
                for (var k = 0; k < size && i < records.Count; k++, i++) block.Add(records[i]);
                // A few exact repeats, usually in another shape, as when a failure list is re-sent.
                if (written.Count > 0 && rng.Next(6) == 0) block.Add(written[rng.Next(written.Count)]);
                WriteBlock(writer, shape, block, rng);
                written.AddRange(block);
            }
        }

        /// <summary>Convenience: the mixed text as a string.</summary>
        public static string ToText(IReadOnlyList<DemoFailure> records, int seed)
        {
            using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
            Write(writer, records, seed);
            return writer.ToString();
        }

        private static void WriteBlock(TextWriter w, Shape shape, List<DemoFailure> block, Random rng)
        {
            switch (shape)
            {
                case Shape.JsonLines:
                    foreach (var r in block) w.Write(Compact(Pairs(r, rng)) + "\n");
                    break;
                case Shape.Spreadsheet:
                    foreach (var r in block) w.Write(SpreadsheetRow(Pairs(r, rng), rng) + "\n");
                    break;
                case Shape.PrettyArray:
                    w.Write("[\n");
                    for (var k = 0; k < block.Count; k++)
                    {
                        w.Write("  {\n");
                        var pairs = Pairs(block[k], rng);
                        for (var p = 0; p < pairs.Count; p++)
                            w.Write("    " + pairs[p].Pretty + (p < pairs.Count - 1 ? "," : "") + "\n");
                        w.Write(k < block.Count - 1 ? "  },\n" : "  }\n");
                    }
                    w.Write("]\n");
                    break;
                case Shape.CsvJson:
                    var withIndex = rng.Next(2) == 0;
                    w.Write(withIndex ? "row,json\n" : "json\n");
                    for (var k = 0; k < block.Count; k++)
                    {
                        var json = Compact(Pairs(block[k], rng));
                        w.Write(CsvRow(CommaConfig, withIndex ? new[] { (k + 1).ToString(CultureInfo.InvariantCulture), json } : new[] { json }) + "\n");
                    }
                    break;
                default:
                    if (rng.Next(4) == 0)
                    {
                        // One pair per line, records separated by a blank line.
                        foreach (var r in block)
                        {
                            foreach (var pair in Pairs(r, rng)) w.Write(pair.Compact + (rng.Next(3) == 0 ? "," : "") + "\n");
                            w.Write("\n");
                        }
                    }
                    else
                    {
                        foreach (var r in block)
                        {
                            var pairs = Pairs(r, rng);
                            var sb = new StringBuilder();
                            for (var p = 0; p < pairs.Count; p++)
                            {
                                if (p > 0) sb.Append(rng.Next(3) == 0 ? "\t" : rng.Next(2) == 0 ? "  " : " ");
                                sb.Append(pairs[p].Compact);
                            }
                            w.Write(sb + "\n");
                        }
                    }
                    break;
            }
        }

        private sealed class Pair
        {
            public Pair(string key, string valueJson)
            {
                Key = key;
                ValueJson = valueJson;
            }

            public string Key { get; }
            public string ValueJson { get; }
            public string Compact => Json(Key) + ":" + ValueJson;
            public string Pretty => Json(Key) + ": " + ValueJson;
        }

        /// <summary>The record's pairs in a random order, with random renderings of each value and extra keys.</summary>
        private static List<Pair> Pairs(DemoFailure r, Random rng)
        {
            var pairs = new List<Pair>();
            pairs.Add(new Pair(KeyName("accessionNumber", rng), NumberOrString(r.AccessionNumber, rng)));
            if (r.HospitalId.Length > 0 && rng.Next(5) == 0)
            {
                // The XNAT query-retrieve shape: the patient nested, with other patient keys beside the ID.
                pairs.Add(new Pair("patient", "{" + Json("id") + ":" + Json(r.HospitalId) + "," + Json("sex") + ":" + Json(rng.Next(2) == 0 ? "F" : "M") + "}"));
            }
            else
            {
                pairs.Add(new Pair(KeyName("id", rng), NumberOrString(r.HospitalId, rng)));
            }
            pairs.Add(new Pair(KeyName("studyDate", rng), DateValueJson(r.StudyDate, rng)));
            pairs.Add(new Pair(KeyName("studyDescription", rng), StringOrNull(r.StudyDescription, rng)));
            if (r.StudyInstanceUid.Length > 0 || rng.Next(3) > 0) pairs.Add(new Pair(KeyName("studyInstanceUid", rng), StringOrNull(r.StudyInstanceUid, rng)));
            switch (rng.Next(6))
            {
                case 0:
                    pairs.Add(new Pair("studyId", rng.Next(2) == 0 ? rng.Next(1, 9999).ToString(CultureInfo.InvariantCulture) : Json("S" + rng.Next(100, 999).ToString(CultureInfo.InvariantCulture))));
                    break;
                case 1:
                    pairs.Add(new Pair("modalitiesInStudy", "[" + Json(Modalities[rng.Next(Modalities.Length)]) + "," + Json(Modalities[rng.Next(Modalities.Length)]) + "]"));
                    break;
                case 2:
                    pairs.Add(new Pair("reason", Json(Reasons[rng.Next(Reasons.Length)])));
                    break;
                case 3:
                    pairs.Add(new Pair("numberOfStudyRelatedInstances", rng.Next(2) == 0 ? "null" : rng.Next(0, 3000).ToString(CultureInfo.InvariantCulture)));
                    break;
            }
            // Mostly the alphabetical order the CSC team writes; sometimes shuffled.
            if (rng.Next(3) == 0)
            {
                for (var k = pairs.Count - 1; k > 0; k--)
                {
                    var j = rng.Next(k + 1);
                    (pairs[k], pairs[j]) = (pairs[j], pairs[k]);
                }
            }
            return pairs;
        }

        private static string KeyName(string key, Random rng) =>
            rng.Next(25) != 0 ? key : key switch
            {
                "studyInstanceUid" => "StudyInstanceUID",
                "accessionNumber" => "AccessionNumber",
                "id" => "ID",
                "studyDate" => "StudyDate",
                _ => "StudyDescription",
            };

        private static string NumberOrString(string value, Random rng)
        {
            if (value.Length == 0) return rng.Next(2) == 0 ? "null" : "\"\"";
            // Only a number when that loses nothing: no leading zero, no sign, not too long.
            var numeric = value.Length <= 15 && value[0] >= '1' && value[0] <= '9';
            for (var k = 0; k < value.Length && numeric; k++) numeric = value[k] >= '0' && value[k] <= '9';
            return numeric && rng.Next(4) == 0 ? value : Json(value);
        }

        private static string StringOrNull(string value, Random rng) =>
            value.Length == 0 ? (rng.Next(2) == 0 ? "null" : "\"\"") : Json(value);

        private static string DateValueJson(string isoDate, Random rng)
        {
            if (isoDate.Length == 0) return rng.Next(2) == 0 ? "null" : "\"\"";
            if (DateValue.TryParseExact(isoDate, DateValue.Iso, out var date) && rng.Next(4) == 0)
            {
                var dicom = DateValue.ToDicom(date);
                return rng.Next(3) == 0 ? dicom : Json(dicom); // DICOM dates, sometimes as numbers
            }
            return Json(isoDate);
        }

        private static string Compact(List<Pair> pairs)
        {
            var sb = new StringBuilder("{");
            for (var p = 0; p < pairs.Count; p++)
            {
                if (p > 0) sb.Append(',');
                sb.Append(pairs[p].Compact);
            }
            return sb.Append('}').ToString();
        }

        /// <summary>
        /// A spreadsheet row: the compact JSON cut at its commas into tab-separated cells (so a value with a
        /// comma sometimes spans two cells), each cell quoted with doubled quotes by CsvHelper.
        /// </summary>
        private static string SpreadsheetRow(List<Pair> pairs, Random rng)
        {
            var cells = new List<string>();
            foreach (var pair in pairs)
            {
                if (pair.Compact.IndexOf(',') >= 0 && rng.Next(3) > 0)
                {
                    // The export cut the value at its commas; reading re-joins the cells with commas.
                    cells.AddRange(pair.Compact.Split(','));
                }
                else
                {
                    cells.Add(pair.Compact);
                }
            }
            var bracesOutside = rng.Next(4) == 0;
            if (!bracesOutside)
            {
                cells[0] = "{" + cells[0];
                cells[cells.Count - 1] += "}";
            }
            var row = CsvRow(TabConfig, cells);
            if (bracesOutside) row = "{" + row + "}";
            if (rng.Next(3) == 0) row += rng.Next(2) == 0 ? "\t" : "\t\t\t";
            return row;
        }

        private static string CsvRow(CsvConfiguration config, IEnumerable<string> fields)
        {
            using var sw = new StringWriter(CultureInfo.InvariantCulture);
            using (var csv = new CsvWriter(sw, config))
            {
                foreach (var field in fields) csv.WriteField(field, shouldQuote: field.IndexOf('"') >= 0 || field.IndexOf(config.Delimiter, StringComparison.Ordinal) >= 0 || (field.Length > 0 && (field[0] == ' ' || field[field.Length - 1] == ' ')));
                csv.Flush();
            }
            return sw.ToString();
        }

        /// <summary>A JSON string literal (quotes, backslashes and control characters escaped).</summary>
        internal static string Json(string value)
        {
            var sb = new StringBuilder(value.Length + 2).Append('"');
            foreach (var c in value)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            return sb.Append('"').ToString();
        }
    }
}
