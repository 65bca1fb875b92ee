using System;
using System.Management.Automation;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Commands
{
    /// <summary>Logs in to an XNAT server and returns the connection the other XNAT cmdlets use.</summary>
    /// <remarks>
    /// <para>Connect-Xnat opens one server session (POST /data/JSESSION with the credentials, sent once) and
    /// checks that XNAT really logged the user in rather than handing out a guest session (GET /data/auth).
    /// Every later call through the connection reuses that session by its cookie: XNAT creates a new server
    /// session for each request that comes without it, and caps each user at 1,000.</para>
    /// <para>The connection keeps the session alive (GET /data/JSESSION) when it has been idle for five minutes,
    /// well inside XNAT's 15-minute timeout, and logs in again once if it has expired anyway. A refused login
    /// (401) is never retried: XNAT locks an account after 20 failures. An HTML page or a redirect to the login
    /// page where data was expected is an authentication error (XnatAuthenticationFailed), never an empty
    /// result.</para>
    /// <para>An alias token works as the credential: the token's alias as the user name and its secret as the
    /// password. TLS certificates are verified unless -SkipCertificateCheck is given. Every call has a
    /// timeout (-TimeoutSec); GETs are retried with backoff on server errors and timeouts; nothing else is
    /// retried. No credential ever appears in Verbose output or in errors.</para>
    /// </remarks>
    /// <example>
    /// <code>$xnat = Connect-Xnat -Uri https://xnat.example.nhs.uk -Credential (Get-Credential)</code>
    /// <para>Logs in with a user name and password typed at the prompt.</para>
    /// </example>
    /// <example>
    /// <code>$token = Get-Secret XnatToken; $xnat = Connect-Xnat https://xnat.example.nhs.uk $token -TimeoutSec 300</code>
    /// <para>Logs in with an alias token kept as a PSCredential (alias as user name, secret as password), allowing five minutes per call.</para>
    /// </example>
    [Cmdlet(VerbsCommunications.Connect, "Xnat")]
    [OutputType(typeof(XnatConnection))]
    public sealed class ConnectXnatCommand : XnatCmdlet
    {
        /// <summary>The XNAT site's address, including its context path if it has one (https://host/xnat).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNull]
        public Uri Uri { get; set; } = null!;

        /// <summary>The XNAT user name and password, or an alias token (alias as user name, secret as password).</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNull]
        [Credential]
        public PSCredential Credential { get; set; } = PSCredential.Empty;

        /// <summary>Accept the server's TLS certificate without checking it (a test server with a self-signed certificate). Off by default.</summary>
        [Parameter]
        public SwitchParameter SkipCertificateCheck { get; set; }

        /// <summary>Seconds each call may take to answer, and the longest pause allowed while a listing streams in. Default 100.</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; } = 100;

        protected override void EndXnat()
        {
            if (!Uri.IsAbsoluteUri || (Uri.Scheme != Uri.UriSchemeHttps && Uri.Scheme != Uri.UriSchemeHttp))
                Fail(new ArgumentException($"-Uri '{Uri}' must be an absolute https:// (or http://) address."), "InvalidXnatUri", ErrorCategory.InvalidArgument, Uri);
            var options = new XnatConnectionOptions(Uri, Credential.GetNetworkCredential())
            {
                Timeout = TimeSpan.FromSeconds(TimeoutSec),
                SkipCertificateCheck = SkipCertificateCheck,
            };
            XnatConnection connection;
            try
            {
                connection = XnatConnection.OpenAsync(options, StopToken).GetAwaiter().GetResult();
            }
            catch (XnatException ex)
            {
                FailXnat(ex, Uri);
                return;
            }
            WriteVerbose($"Connected to {connection.Uri} as {connection.UserName} ({connection.RequestCount} requests).");
            WriteObject(connection);
        }
    }
}
