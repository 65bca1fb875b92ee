using System.Management.Automation;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Commands
{
    /// <summary>Checks that a PACS answers us (DICOM C-ECHO).</summary>
    /// <remarks>
    /// <para>Test-PacsConnection opens an association to the PACS, sends a C-ECHO and releases it. It returns
    /// the round-trip time, the transfer syntax the PACS accepted, its maximum PDU length and its implementation.</para>
    /// <para>When the PACS cannot be used, the error says what to fix: nothing listening at the address, the
    /// called AE title not recognised, our calling AE title not registered on the PACS, or no answer in time.</para>
    /// <para>A successful echo does not prove that our AE title may query: some PACS (Orthanc by default) answer
    /// C-ECHO from any caller and refuse only the first query. Find-PacsStudy then says the calling AE title is
    /// probably not registered.</para>
    /// <para>A PACS that answers the echo but not the release that follows still passes; a warning says so.</para>
    /// </remarks>
    /// <example>
    /// <code>New-PacsConnection -HostName pacs.example.nhs.uk -Port 104 -CalledAeTitle SECTRA -CallingAeTitle HANDI | Test-PacsConnection</code>
    /// <para>Checks the hospital PACS before a quarterly run.</para>
    /// </example>
    [Cmdlet(VerbsDiagnostic.Test, "PacsConnection")]
    [OutputType(typeof(PacsEchoResult))]
    public sealed class TestPacsConnectionCommand : HandiCmdlet
    {
        /// <summary>The PACS to check: a PacsConnection from New-PacsConnection, or a hashtable with the same keys.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [PacsConnectionTransformation]
        public PacsConnection Connection { get; set; } = null!;

        protected override void ProcessRecord()
        {
            WriteVerbose($"C-ECHO to {Connection}");
            try
            {
                var echo = PacsDicom.EchoAsync(Connection, StopToken).GetAwaiter().GetResult();
                if (echo.Warning != null) WriteWarning(echo.Warning);
                WriteObject(echo);
            }
            catch (System.Exception ex) when (!(ex is PipelineStoppedException))
            {
                WriteError(PacsErrors.Record(ex, Connection));
            }
        }
    }
}
