using System.Collections.Generic;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Cohort
{
    /// <summary>What checking every NHS number of a CSV found.</summary>
    public sealed class NhsNumberFileCheck
    {
        public List<NhsNumberCheck> Checks { get; } = new List<NhsNumberCheck>();
        /// <summary>Bad pairings (one number on two hospital IDs, two numbers on one), each naming both rows.</summary>
        public List<InputFormatException> Warnings { get; } = new List<InputFormatException>();
        public string Encoding { get; internal set; } = "";
    }

    /// <summary>Checks the NHS numbers of any CSV with an NHS number column (cohort, ID map, deceased extract), row by row.</summary>
    public static class NhsNumberFile
    {
        private static readonly CsvColumn NhsNumberColumn = new CsvColumn("NhsNumber", true, "NhsNo");
        private static readonly CsvColumn HospitalIdColumn = new CsvColumn("HospitalId", false, "PatientId", "MRN", "HospitalNumber");

        /// <summary>The header: an NHS number column, optionally a hospital ID column.</summary>
        public static readonly CsvSchema Schema = new CsvSchema("file of NHS numbers", NhsNumberColumn, HospitalIdColumn);

        public static NhsNumberFileCheck Check(string path)
        {
            var table = CsvTable.Read(path);
            var header = table.Bind(Schema);
            var nhsCol = header[NhsNumberColumn];
            var idCol = header[HospitalIdColumn];
            var pairing = new NhsNumberPairing();
            var result = new NhsNumberFileCheck { Encoding = table.Encoding.Name };
            foreach (var row in table.Rows)
            {
                if (row.IsBlank) continue;
                var id = idCol >= 0 ? row.Get(idCol).Trim() : null;
                var value = row.Get(nhsCol);
                if (id != null && pairing.Add(id, value, row.Line) is { } problem)
                    result.Warnings.Add(new InputFormatException(path, row.Line, table.Header[nhsCol], problem) { Code = "DuplicateNhsNumber" });
                result.Checks.Add(NhsNumber.Check(value) with { HospitalId = id, Line = row.Line, Source = path });
            }
            return result;
        }
    }
}
