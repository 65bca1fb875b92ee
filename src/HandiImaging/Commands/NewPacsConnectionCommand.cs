using System;
using System.Management.Automation;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Commands
{
    /// <summary>Creates the settings for talking to a PACS.</summary>
    /// <remarks>
    /// <para>New-PacsConnection makes a PacsConnection: the PACS's host, port and AE title, our own (calling) AE
    /// title as registered on the PACS, and the limits the queries run under. It opens nothing; the cmdlets
    /// that take -Connection open and reuse associations as they need them.</para>
    /// <para>Every -Connection parameter also accepts a hashtable with the same keys, so a connection can be
    /// kept in a configuration file and loaded with Import-PowerShellDataFile.</para>
    /// <para>PACS only answer AE titles registered with them, and many cap the number of C-FIND results they
    /// return. Set -MaxResultsPerQuery to the PACS's cap so that answers reaching it are completed by
    /// splitting the date range.</para>
    /// </remarks>
    /// <example>
    /// <code>$pacs = New-PacsConnection -HostName pacs.example.nhs.uk -Port 104 -CalledAeTitle SECTRA -CallingAeTitle HANDI -MaxResultsPerQuery 500</code>
    /// <para>Describes the hospital PACS, whose C-FIND answers stop at 500 studies.</para>
    /// </example>
    /// <example>
    /// <code>Test-PacsConnection -Connection @{ HostName = '127.0.0.1'; Port = 11112; CalledAeTitle = 'QRSCP'; CallingAeTitle = 'HANDI' }</code>
    /// <para>Uses a hashtable where a connection is expected.</para>
    /// </example>
    [Cmdlet(VerbsCommon.New, "PacsConnection")]
    [OutputType(typeof(PacsConnection))]
    public sealed class NewPacsConnectionCommand : HandiCmdlet
    {
        /// <summary>The PACS's host name or IP address.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("ComputerName", "Host")]
        public string HostName { get; set; } = "";

        /// <summary>The PACS's DICOM port (104 and 11112 are common).</summary>
        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        /// <summary>The PACS's AE title (at most 16 characters).</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        public string CalledAeTitle { get; set; } = "";

        /// <summary>Our AE title as registered on the PACS (at most 16 characters).</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        public string CallingAeTitle { get; set; } = "";

        /// <summary>Deadline in seconds for connecting, for negotiating an association and for each response. Default 30.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(1, 3600)]
        public int TimeoutSeconds { get; set; } = 30;

        /// <summary>The PACS's cap on C-FIND results (0 = none known). An answer this long is treated as possibly truncated and completed by splitting its date range.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(0, int.MaxValue)]
        public int MaxResultsPerQuery { get; set; }

        /// <summary>At most this many associations at once (default 4). Ask the PACS team what they allow.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 4;

        protected override void ProcessRecord()
        {
            try
            {
                WriteObject(new PacsConnection(HostName, Port, CalledAeTitle, CallingAeTitle)
                {
                    TimeoutSeconds = TimeoutSeconds,
                    MaxResultsPerQuery = MaxResultsPerQuery,
                    ThrottleLimit = ThrottleLimit,
                });
            }
            catch (ArgumentException ex)
            {
                WriteItemError(ex, "InvalidPacsConnection", ErrorCategory.InvalidArgument, HostName);
            }
        }
    }
}
