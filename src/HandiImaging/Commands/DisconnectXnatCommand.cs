using System.Management.Automation;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Commands
{
    /// <summary>Ends the XNAT server session of a connection.</summary>
    /// <remarks>
    /// <para>Disconnect-Xnat ends the connection's server session on XNAT (DELETE /data/JSESSION), so it does not
    /// count against the user's session limit until it times out, and stops the connection's keep-alive. The
    /// connection cannot be used afterwards; connect again with Connect-Xnat. A connection already closed is
    /// left as it is. Nothing is written unless -PassThru is given.</para>
    /// </remarks>
    /// <example>
    /// <code>Disconnect-Xnat -Connection $xnat</code>
    /// <para>Logs out at the end of a run.</para>
    /// </example>
    [Cmdlet(VerbsCommunications.Disconnect, "Xnat")]
    [OutputType(typeof(XnatConnection))]
    public sealed class DisconnectXnatCommand : XnatCmdlet
    {
        /// <summary>The connection from Connect-Xnat.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ValidateNotNull]
        public XnatConnection Connection { get; set; } = null!;

        /// <summary>Write the (now closed) connection, e.g. to check its request count.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            if (!Connection.IsConnected)
            {
                if (PassThru) WriteObject(Connection);
                return;
            }
            Attach(Connection);
            try
            {
                Connection.CloseAsync(StopToken).GetAwaiter().GetResult();
            }
            catch (XnatException ex)
            {
                // The session is gone locally either way; the server forgets it at its idle timeout.
                WriteWarning($"XNAT did not confirm the logout: {ex.Message}");
            }
            FlushLog();
            if (PassThru) WriteObject(Connection);
        }
    }
}
