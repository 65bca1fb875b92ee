using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using HandiImaging.Core.IO;
using HandiImaging.Core.Rules;

namespace HandiImaging.Core.Demo
{
    /// <summary>
    /// A synthetic include/exclude list shaped like the clinicians' real one. <see cref="Include"/> and
    /// <see cref="Exclude"/> are the rows exactly as the workbook holds them, quirks included: trailing and
    /// doubled spaces, case variants and exact duplicates of earlier rows, near-duplicates that differ by a final
    /// full stop (different descriptions), <c>(blank)</c>, and a description stored as a number.
    /// </summary>
    public sealed class DemoRuleList
    {
        internal DemoRuleList(List<string> include, List<string> exclude, List<string> unknown, int includeCount, int excludeCount, int duplicateCount)
        {
            Include = include;
            Exclude = exclude;
            Unknown = unknown;
            IncludeCount = includeCount;
            ExcludeCount = excludeCount;
            DuplicateCount = duplicateCount;
        }

        /// <summary>The INCLUDE sheet's rows, as written.</summary>
        public IReadOnlyList<string> Include { get; }
        /// <summary>The EXCLUDE sheet's rows, as written.</summary>
        public IReadOnlyList<string> Exclude { get; }
        /// <summary>Plausible descriptions on neither list (new protocols, new scanners): the demo's Review items.</summary>
        public IReadOnlyList<string> Unknown { get; }
        /// <summary>Distinct include descriptions after normalisation: what Import-StudyRule must report.</summary>
        public int IncludeCount { get; }
        /// <summary>Distinct exclude descriptions after normalisation.</summary>
        public int ExcludeCount { get; }
        /// <summary>Rows that repeat an earlier row after normalisation (case variants, spacing, exact copies).</summary>
        public int DuplicateCount { get; }
    }

    /// <summary>
    /// Deterministic generator of the clinicians' include/exclude workbook for the demo, the tests and the
    /// benchmark. <c>Create</c> builds the list; <c>WriteWorkbook</c> writes it as the clinicians keep it (a cover
    /// sheet, then INCLUDE with a title above its header, then EXCLUDE with a Modality column before the
    /// description; shared strings, as Excel saves them); <c>WriteCsv</c> writes the same rules as a CSV rules file.
    /// </summary>
    public static class DemoRules
    {
        private static readonly string[] IncludeModalities = { "CT", "MRI", "MR", "PET-CT", "NM PET" };
        private static readonly string[] IncludeParts =
        {
            "Neck", "Head and Neck", "Soft Tissue Neck", "Oropharynx", "Nasopharynx", "Oral Cavity", "Tongue", "Parotid",
            "Larynx", "Skull Base", "Sinuses", "Mandible", "Orbits", "Thorax", "Chest Abdomen Pelvis", "Neck and Chest",
            "Neck and Thorax", "Brain and Neck", "Salivary Glands", "Thyroid", "Whole Body FDG", "Skull Base to Thigh",
        };
        private static readonly string[] IncludeQualifiers = { "", " with contrast", " without contrast", " pre and post contrast", " staging", " follow up", " RT planning", " restaging" };
        private static readonly string[] DentalAndSwallow =
        {
            "XR Orthopantomogram", "XR OPG", "XR Dental Intraoral", "XR Dental Bitewing Left", "XR Dental Bitewing Right", "XR Dental Periapical",
            "XR Mandible", "XR Lateral Ceph", "VF Swallow", "Videofluoroscopy Swallow", "FL Modified Barium Swallow", "XR Barium Swallow",
        };

        private static readonly string[] ExcludeModalities = { "XR", "US", "CT", "MRI", "NM", "FL", "DEXA", "IR" };
        private static readonly string[] ExcludeParts =
        {
            "Chest", "Abdomen", "Pelvis", "Head", "Brain", "Lumbar Spine", "Cervical Spine", "Thoracic Spine", "Knee", "Hip", "Hand", "Wrist",
            "Foot", "Ankle", "Shoulder", "Elbow", "Femur", "Tibia and Fibula", "Kidneys", "Liver", "Renal Tract", "Bladder", "Scrotum",
            "Carotid Doppler", "Leg Veins Doppler", "Aorta", "Heart", "Coronary Arteries", "Breast", "Axilla", "Sacroiliac Joints", "Skeletal Survey",
            "Clavicle", "Ribs", "Humerus", "Forearm", "Finger", "Toe", "Calcaneum", "Pulmonary Angiogram",
        };
        private static readonly string[] Sides = { "", " Left", " Right", " Both" };
        private static readonly string[] ExcludeQualifiers = { "", " with contrast", " without contrast", " Urgent", " Portable", " AP and Lateral", " Weight bearing" };

        private static readonly string[] UnknownDescriptions =
        {
            "CT Neck Dual Energy", "MRI Head and Neck Research Protocol", "PET-CT PSMA Whole Body", "CT Neck Photon Counting",
            "MRI Oropharynx DWI only", "XR Dental Cone Beam", "US Neck FNA", "CT Angiogram Neck", "MRI Whole Body Screening", "NM Lymphoscintigraphy Neck",
        };

        /// <summary>
        /// A list with <paramref name="includeCount"/> and <paramref name="excludeCount"/> distinct (normalised)
        /// descriptions plus quirk rows. The same arguments always give the same list.
        /// </summary>
        public static DemoRuleList Create(int includeCount = 300, int excludeCount = 1500, int seed = 12)
        {
            if (includeCount < 12 || excludeCount < 12) throw new ArgumentOutOfRangeException(nameof(includeCount), "Each list needs at least 12 entries to carry its quirks.");
            var random = new Random(seed);
            var taken = new HashSet<string>(StudyDescription.Comparer);
            var includePool = DentalAndSwallow.Concat(
                from m in IncludeModalities from p in IncludeParts from q in IncludeQualifiers select $"{m} {p}{q}").ToList();
            var excludePool = (from m in ExcludeModalities from p in ExcludeParts from s in Sides from q in ExcludeQualifiers select $"{m} {p}{s}{q}").ToList();
            Shuffle(excludePool, random);
            foreach (var unknown in UnknownDescriptions) taken.Add(unknown);

            // Near-duplicates ("X" and "X.") are distinct rules, so they count towards the totals.
            var include = Take(includePool.Take(DentalAndSwallow.Length).Concat(Shuffled(includePool.Skip(DentalAndSwallow.Length), random)), includeCount - 1, taken);
            include.Add(include[3] + ".");
            taken.Add(include[include.Count - 1]);
            var exclude = Take(excludePool, excludeCount - 3, taken);
            exclude.Add(exclude[5] + ".");
            exclude.Add(StudyDescription.BlankMarker);
            exclude.Add("70450"); // a description that Excel stores as a number
            foreach (var extra in new[] { include[include.Count - 1], "70450" }) taken.Add(extra);
            if (include.Count != includeCount || exclude.Count != excludeCount)
                throw new ArgumentOutOfRangeException(nameof(excludeCount), "Not enough distinct demo descriptions for that many entries.");

            var duplicates = AddQuirks(include, random) + AddQuirks(exclude, random);
            return new DemoRuleList(include, exclude, UnknownDescriptions.ToList(), includeCount, excludeCount, duplicates);
        }

        // Spacing quirks in place; case variants and exact copies as extra rows. Returns the rows added.
        private static int AddQuirks(List<string> rows, Random random)
        {
            var count = rows.Count;
            for (var i = 0; i < count; i++)
            {
                if (rows[i] == StudyDescription.BlankMarker || rows[i].All(char.IsDigit)) continue;
                var roll = random.Next(20);
                if (roll == 0) rows[i] += " ";
                else if (roll == 1) rows[i] += "  ";
                else if (roll == 2 && rows[i].IndexOf(' ') > 0) rows[i] = rows[i].Substring(0, rows[i].IndexOf(' ')) + "  " + rows[i].Substring(rows[i].IndexOf(' ') + 1);
            }
            var extra = Math.Max(3, count / 50);
            for (var k = 0; k < extra; k++)
            {
                var source = rows[random.Next(count)];
                if (source == StudyDescription.BlankMarker || source.All(char.IsDigit)) source = rows[0];
                var position = random.Next(rows.Count + 1);
                var variant = (k % 3) switch
                {
                    0 => source.ToUpperInvariant(),
                    1 => source,
                    _ => " " + source.ToLowerInvariant().Trim() + " ",
                };
                rows.Insert(Math.Max(position, rows.IndexOf(source) + 1), variant);
            }
            return extra;
        }

        private static List<string> Take(IEnumerable<string> pool, int count, HashSet<string> taken)
        {
            var result = new List<string>();
            foreach (var candidate in pool)
            {
                if (result.Count == count) break;
                if (taken.Add(candidate)) result.Add(candidate);
            }
            return result;
        }

        private static List<string> Shuffled(IEnumerable<string> items, Random random)
        {
            var list = items.ToList();
            Shuffle(list, random);
            return list;
        }

        private static void Shuffle<T>(IList<T> list, Random random)
        {
            for (var i = list.Count - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (list[i], list[j]) = (list[j], list[i]);
            }
        }

        /// <summary>Writes the list as the clinicians' workbook: cover sheet, INCLUDE, EXCLUDE (atomically).</summary>
        public static void WriteWorkbook(string path, DemoRuleList list) => AtomicFile.Write(path, stream => WriteWorkbook(stream, list), keepBackup: false);

        /// <summary>Writes the list as the clinicians' workbook into <paramref name="stream"/>.</summary>
        public static void WriteWorkbook(Stream stream, DemoRuleList list) => Xlsx.WriteVia(stream, s => Build(s, list));

        private static void Build(Stream stream, DemoRuleList list)
        {
            using var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook);
            var workbookPart = document.AddWorkbookPart();
            workbookPart.Workbook = new Workbook();
            workbookPart.AddNewPart<WorkbookStylesPart>().Stylesheet = Xlsx.MinimalStylesheet();
            var strings = new SharedStrings();

            var cover = new List<Row>
            {
                TextRow(1, (0, strings.Index("012a RT-HaND_I Imaging Study Descriptions: known Include vs Exclude"))),
                TextRow(3, (0, strings.Index("Maintained by the XNAT admin with the Head and Neck clinicians."))),
                TextRow(4, (0, strings.Index("Add new descriptions to the INCLUDE or EXCLUDE sheet; never to both."))),
                TextRow(6, (0, strings.Index("Version")), (1, strings.Index("3.2"))),
            };
            var last = new Row { RowIndex = 7 };
            last.Append(new Cell(new CellValue(strings.Index("Last reviewed").ToString(CultureInfo.InvariantCulture))) { CellReference = "A7", DataType = CellValues.SharedString });
            last.Append(new Cell(new CellValue("45199")) { CellReference = "B7" }); // a date as Excel stores it
            cover.Add(last);

            var includeRows = new List<Row>
            {
                TextRow(1, (0, strings.Index("Study descriptions to INCLUDE (diagnosis, staging, treatment and follow-up of H&N cancer)"))),
                TextRow(3, (0, strings.Index(StudyRuleFile.DescriptionHeader))),
            };
            includeRows[1].Elements<Cell>().First().StyleIndex = 1;
            long r = 3;
            foreach (var entry in list.Include) includeRows.Add(EntryRow(++r, 0, entry, strings));

            var excludeRows = new List<Row> { TextRow(1, (0, strings.Index("Modality")), (1, strings.Index(StudyRuleFile.DescriptionHeader))) };
            foreach (var cell in excludeRows[0].Elements<Cell>()) cell.StyleIndex = 1;
            r = 1;
            foreach (var entry in list.Exclude)
            {
                var row = EntryRow(++r, 1, entry, strings);
                var modality = entry.Trim().Split(' ')[0];
                if (modality.Length > 0 && modality != StudyDescription.BlankMarker && !modality.All(char.IsDigit))
                    row.InsertAt(new Cell(new CellValue(strings.Index(modality.ToUpperInvariant()).ToString(CultureInfo.InvariantCulture)))
                    { CellReference = "A" + r.ToString(CultureInfo.InvariantCulture), DataType = CellValues.SharedString }, 0);
                excludeRows.Add(row);
            }

            var sheets = new Sheets();
            uint id = 1;
            foreach (var (name, rows, width) in new[] { ("Cover", cover, 70.0), (StudyRuleFile.IncludeSheet, includeRows, 60.0), (StudyRuleFile.ExcludeSheet, excludeRows, 60.0) })
            {
                var part = workbookPart.AddNewPart<WorksheetPart>();
                var data = new SheetData();
                foreach (var row in rows) data.Append(row);
                var lastColumn = name == StudyRuleFile.ExcludeSheet ? 2u : 1u;
                part.Worksheet = new Worksheet(new Columns(new Column { Min = lastColumn, Max = lastColumn, Width = width, CustomWidth = true }), data);
                sheets.Append(new Sheet { Id = workbookPart.GetIdOfPart(part), SheetId = id++, Name = name });
            }
            workbookPart.Workbook.Append(sheets);
            workbookPart.AddNewPart<SharedStringTablePart>().SharedStringTable = strings.Table();
            workbookPart.Workbook.Save();
        }

        /// <summary>Writes the same rules as a CSV rules file (Description, Decision, DecidedBy, DecidedOn, Note).</summary>
        public static void WriteCsv(string path, DemoRuleList list, string decidedBy = "Demo clinician", DateTime? decidedOn = null)
        {
            var on = DateValue.ToIso(decidedOn ?? new DateTime(2023, 10, 4));
            AtomicFile.WriteText(path, writer =>
            {
                writer.WriteLine(CsvTable.Format(StudyRuleFile.CsvColumns));
                foreach (var (entries, decision) in new[] { (list.Include, "Include"), (list.Exclude, "Exclude") })
                    foreach (var entry in entries) writer.WriteLine(CsvTable.Format(new[] { entry, decision, decidedBy, on, "" }));
            }, keepBackup: false);
        }

        private static Row EntryRow(long number, int column, string entry, SharedStrings strings)
        {
            var row = new Row { RowIndex = (uint)number };
            var reference = Xlsx.ColumnName(column) + number.ToString(CultureInfo.InvariantCulture);
            row.Append(entry.Length > 0 && entry.All(char.IsDigit)
                ? new Cell(new CellValue(entry)) { CellReference = reference, DataType = CellValues.Number }
                : new Cell(new CellValue(strings.Index(entry).ToString(CultureInfo.InvariantCulture))) { CellReference = reference, DataType = CellValues.SharedString });
            return row;
        }

        private static Row TextRow(long number, params (int Column, int Index)[] cells)
        {
            var row = new Row { RowIndex = (uint)number };
            foreach (var (column, index) in cells)
                row.Append(new Cell(new CellValue(index.ToString(CultureInfo.InvariantCulture)))
                { CellReference = Xlsx.ColumnName(column) + number.ToString(CultureInfo.InvariantCulture), DataType = CellValues.SharedString });
            return row;
        }

        private sealed class SharedStrings
        {
            private readonly Dictionary<string, int> _index = new Dictionary<string, int>(StringComparer.Ordinal);
            private readonly List<string> _items = new List<string>();

            public int Index(string text)
            {
                if (_index.TryGetValue(text, out var i)) return i;
                _items.Add(text);
                return _index[text] = _items.Count - 1;
            }

            public SharedStringTable Table() => new SharedStringTable(_items.Select(s => new SharedStringItem(new Text(s) { Space = SpaceProcessingModeValues.Preserve })))
            { Count = (uint)_items.Count, UniqueCount = (uint)_items.Count };
        }
    }
}
