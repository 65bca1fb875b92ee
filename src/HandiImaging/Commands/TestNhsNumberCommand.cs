using System.Management.Automation;
using HandiImaging.Core.Cohort;

namespace HandiImaging.Commands
{
    /// <summary>Checks NHS numbers with the modulus-11 check digit.</summary>
    /// <remarks>
    /// <para>Test-NhsNumber checks that each value is ten digits whose last digit is the modulus-11 check digit
    /// of the first nine (weights 10 down to 2), and returns one result per value with the reason an invalid
    /// number fails. Invalid numbers are reported, never corrected.</para>
    /// <para>Run it over the cohort or the HospitalID-NHSNumber map before a run: a wrong NHS number becomes a
    /// wrong XNAT subject label.</para>
    /// </remarks>
    /// <example>
    /// <code>Test-NhsNumber -NhsNumber 9434765919, 9434765918</code>
    /// <para>Checks two numbers: the first is valid, the second has the wrong check digit.</para>
    /// </example>
    /// <example>
    /// <code>Import-Csv ./HospitalID-NHSNumber.csv | Test-NhsNumber | Where-Object { -not $_.IsValid }</code>
    /// <para>Lists the invalid numbers in the ID map; its NHSNumber column binds by property name.</para>
    /// </example>
    [Cmdlet(VerbsDiagnostic.Test, "NhsNumber")]
    [OutputType(typeof(NhsNumberCheck))]
    public sealed class TestNhsNumberCommand : HandiCmdlet
    {
        /// <summary>The NHS numbers to check. Accepts pipeline input, also by the property name NhsNumber.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        public string[] NhsNumber { get; set; } = new string[0];

        protected override void ProcessRecord()
        {
            foreach (var value in NhsNumber) WriteObject(Core.Cohort.NhsNumber.Check(value));
        }
    }
}
