using System.IO;
using System.Linq;
using System.Management.Automation;
using HandiImaging.Core.Demo;

namespace HandiImaging.Commands
{
    /// <summary>Writes the built-in demo quarter: every input file of the procedure, synthetic and deterministic.</summary>
    /// <remarks>
    /// <para>New-HandiDemoData writes a realistic synthetic quarter into a folder: the cohort (NHS-number and NN_
    /// subjects, New and Existing patients), the EDW deceased extract, the clinicians' include/exclude workbook
    /// (with its real quirks), XNAT's eight session exports with their real headers, reference dates in the
    /// warehouse's dd/MM/yyyy (some missing), the hospital-ID map (some NHS numbers blank), the ingestion team's
    /// failure text in every shape it arrives in, and the list of studies for a demo PACS.</para>
    /// <para>The same -Seed and -Subjects always give the same files. The data contains no real patient: names,
    /// identifiers and UIDs are made up (NHS numbers are valid by check digit only).</para>
    /// </remarks>
    /// <example>
    /// <code>New-HandiDemoData -Path ./demo-quarter -Subjects 300</code>
    /// <para>Writes a 300-patient quarter to ./demo-quarter and lists what it wrote.</para>
    /// </example>
    /// <example>
    /// <code>$demo = New-HandiDemoData -Path TestDrive:/q -Subjects 50 -Seed 7; Import-Cohort -Path (Join-Path $demo.Path cohort.csv) -AsOf $demo.AsOf</code>
    /// <para>Makes a small quarter for a test and imports its cohort as of the demo's run date.</para>
    /// </example>
    [Cmdlet(VerbsCommon.New, "HandiDemoData", SupportsShouldProcess = true)]
    [OutputType(typeof(DemoDataSet))]
    public sealed class NewHandiDemoDataCommand : HandiCmdlet
    {
        /// <summary>The folder to write into, taken literally (no wildcards): a new or empty folder, or, with -Force, one whose files of the same names may be replaced.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        public string Path { get; set; } = "";

        /// <summary>How many cohort patients (XNAT subjects) the quarter has. Default 300; at least 10.</summary>
        [Parameter]
        [ValidateRange(10, 1_000_000)]
        public int Subjects { get; set; } = 300;

        /// <summary>The seed of the generator: the same seed gives the same files.</summary>
        [Parameter]
        public int Seed { get; set; } = 1;

        /// <summary>Writes into a folder that already holds files, replacing those with the demo's names.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        private static string Listing(string folder)
        {
            var names = Directory.EnumerateFileSystemEntries(folder).Select(System.IO.Path.GetFileName).OrderBy(n => n, System.StringComparer.Ordinal).ToList();
            return string.Join(", ", names.Take(5)) + (names.Count > 5 ? ", …" : "");
        }

        protected override void EndProcessing()
        {
            var folder = ResolveOutputPath(Path);
            if (File.Exists(folder))
                Fail(new IOException($"-Path '{Path}' is a file; give a new or empty folder for the demo quarter."), "PathIsFile", ErrorCategory.InvalidArgument, Path);
            // The demo's files have the real files' names (cohort.csv, the rules workbook): never over an admin's folder by accident.
            if (!Force && Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
                Fail(new IOException($"-Path '{Path}' already holds files ({Listing(folder)}); the demo would replace those with its names. Give a new or empty folder, or add -Force."),
                    "DemoFolderNotEmpty", ErrorCategory.ResourceExists, Path);
            if (!ShouldProcess(folder, $"Write a {Subjects}-patient demo quarter")) return;
            try
            {
                WriteObject(DemoData.Write(folder, Subjects, Seed));
            }
            catch (IOException ex)
            {
                Fail(ex, "DemoDataWriteFailed", ErrorCategory.WriteError, folder);
            }
        }
    }
}
