using System;
using System.Globalization;
using System.Management.Automation;
using HandiImaging.Core.Cohort;
using HandiImaging.Core.IO;

namespace HandiImaging.Commands
{
    /// <summary>Checks NHS numbers with the modulus-11 check digit.</summary>
    /// <remarks>
    /// <para>Test-NhsNumber removes spaces and dashes (943 476 5919 and 943-476-5919 are 9434765919, as every
    /// HandiImaging cmdlet reads them), then checks that the value is ten digits, not all the same digit (such as
    /// 0000000000), whose last digit is the modulus-11 check digit of the first nine (weights 10 down to 2). It
    /// returns one result per value with the normalised number and the reason an invalid number fails. Invalid
    /// numbers are reported, never corrected.</para>
    /// <para>Rows piped in bind by property name: the number from NhsNumber, NHSNumber, NHS Number, NHS_Number or
    /// NHS No; the hospital ID from HospitalId, Hospital ID, PatientId or MRN; the line from Line (Import-Cohort's
    /// patients carry it). With -Path or -LiteralPath it reads a CSV (the cohort, the HospitalID-NHSNumber map, the
    /// deceased extract) itself, so each result names its file and line. Either way, one NHS number on two hospital
    /// IDs, or one hospital ID with two NHS numbers, is a warning naming both rows.</para>
    /// <para>Run it over the cohort or the ID map before a run: a wrong NHS number becomes a wrong XNAT subject label.</para>
    /// </remarks>
    /// <example>
    /// <code>Test-NhsNumber -NhsNumber 9434765919, '943 476 5918'</code>
    /// <para>Checks two numbers: the first is valid, the second (normalised to 9434765918) has the wrong check digit.</para>
    /// </example>
    /// <example>
    /// <code>Test-NhsNumber -LiteralPath ./HospitalID-NHSNumber.csv | Where-Object { -not $_.IsValid } | Format-Table HospitalId, Line, NhsNumber, Reason</code>
    /// <para>Lists the invalid numbers in the ID map with the hospital ID and line of each.</para>
    /// </example>
    /// <example>
    /// <code>Import-Csv ./cohort.csv | Test-NhsNumber</code>
    /// <para>Checks every row of the cohort; its NhsNumber (or "NHS Number") and HospitalId columns bind by property name.</para>
    /// </example>
    [Cmdlet(VerbsDiagnostic.Test, "NhsNumber", DefaultParameterSetName = ValueSet)]
    [OutputType(typeof(NhsNumberCheck))]
    public sealed class TestNhsNumberCommand : HandiCmdlet
    {
        private const string ValueSet = "Value";
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

        private readonly NhsNumberPairing _pairing = new NhsNumberPairing();
        private long _position;

        /// <summary>The NHS numbers to check. Accepts pipeline input, also by the property names NhsNumber, NHS Number, NHS_Number and NHS No.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ValueSet)]
        [Alias("NHS Number", "NHS_Number", "NhsNo", "NHS No")]
        [AllowEmptyString]
        [AllowNull]
        public string[] NhsNumber { get; set; } = new string[0];

        /// <summary>The hospital ID of the row the number comes from (binds from HospitalId, Hospital ID, PatientId or MRN); copied to the result.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = ValueSet)]
        [Alias("Hospital ID", "Hospital_ID", "PatientId", "MRN", "Hospital Number")]
        public string? HospitalId { get; set; }

        /// <summary>The line of the file the number comes from (binds from Line, as Import-Cohort's patients carry it); copied to the result.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = ValueSet)]
        public long? Line { get; set; }

        /// <summary>A CSV with an NHS number column (and optionally a hospital ID column) to check row by row. Wildcards must match one file.</summary>
        [Parameter(Mandatory = true, ParameterSetName = PathSet)]
        public string Path { get; set; } = "";

        /// <summary>The CSV to check, taken literally (no wildcards).</summary>
        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
        [Alias("PSPath")]
        public string LiteralPath { get; set; } = "";

        protected override void ProcessRecord()
        {
            if (ParameterSetName != ValueSet)
            {
                CheckFile(ParameterSetName == LiteralPathSet ? ResolveExistingFile(LiteralPath, true, nameof(LiteralPath)) : ResolveExistingFile(Path, false, nameof(Path)));
                return;
            }
            foreach (var value in NhsNumber ?? new string[0])
            {
                _position++;
                var check = Core.Cohort.NhsNumber.Check(value) with { HospitalId = HospitalId, Line = Line };
                if (HospitalId != null && _pairing.Add(HospitalId, value, Line ?? _position) is { } problem)
                    WriteWarning((Line.HasValue ? $"line {Line.Value.ToString(CultureInfo.InvariantCulture)}: " : $"input {_position.ToString(CultureInfo.InvariantCulture)}: ") + problem);
                WriteObject(check);
            }
        }

        private void CheckFile(string path)
        {
            NhsNumberFileCheck result;
            try { result = NhsNumberFile.Check(path); }
            catch (InputFormatException ex) { Fail(ex, "NhsNumberFileUnreadable", ErrorCategory.InvalidData, path); return; }
            WriteVerbose($"{path}: read as {result.Encoding}; {result.Checks.Count.ToString(CultureInfo.InvariantCulture)} NHS numbers.");
            foreach (var warning in result.Warnings) WriteWarning(warning.Message);
            foreach (var check in result.Checks) WriteObject(check);
        }
    }
}
