using System;
using System.Net;

namespace HandiImaging.Core.Xnat
{
    /// <summary>The stable error ids of XNAT failures; the cmdlets use them as ErrorIds.</summary>
    public static class XnatErrorId
    {
        /// <summary>401, a login page or redirect, an HTML page where data was expected, a guest session, an expired token.</summary>
        public const string AuthenticationFailed = "XnatAuthenticationFailed";
        /// <summary>403: the user lacks a role (e.g. Dqr) or access to the project.</summary>
        public const string Forbidden = "XnatForbidden";
        public const string NotFound = "XnatNotFound";
        /// <summary>400: XNAT rejected the request (bad date, no remapping receiver, bad sort).</summary>
        public const string BadRequest = "XnatBadRequest";
        public const string Conflict = "XnatConflict";
        public const string ServerError = "XnatServerError";
        /// <summary>No answer within the call's timeout (after the retries an idempotent call gets).</summary>
        public const string Timeout = "XnatTimeout";
        /// <summary>The server could not be reached (refused, reset, DNS).</summary>
        public const string ConnectionFailed = "XnatConnectionFailed";
        /// <summary>The server's TLS certificate was not trusted.</summary>
        public const string CertificateRejected = "XnatCertificateRejected";
        /// <summary>A 2xx answer whose body is not what the endpoint returns.</summary>
        public const string UnexpectedResponse = "XnatUnexpectedResponse";
        /// <summary>XNAT silently dropped columns we asked for (unknown alias or a type without the field).</summary>
        public const string ColumnMissing = "XnatColumnMissing";
        /// <summary>The connection was closed (Disconnect-Xnat) or never logged in.</summary>
        public const string NotConnected = "XnatNotConnected";
    }

    /// <summary>
    /// A failed XNAT call: the stable <see cref="ErrorId"/>, the HTTP status (0 when there was no answer) and
    /// XNAT's own message, as text. Messages never hold credentials.
    /// </summary>
    public sealed class XnatException : Exception
    {
        public XnatException(string errorId, string message, int statusCode = 0, string? xnatMessage = null, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            StatusCode = statusCode;
            XnatMessage = xnatMessage;
        }

        public string ErrorId { get; }

        /// <summary>The HTTP status, or 0 when no response arrived.</summary>
        public int StatusCode { get; }

        /// <summary>The message XNAT sent (text/plain body or the text of its HTML error page), when there was one.</summary>
        public string? XnatMessage { get; }

        /// <summary>The error id for an HTTP error status.</summary>
        public static string IdFor(HttpStatusCode status)
        {
            var code = (int)status;
            if (code == 401) return XnatErrorId.AuthenticationFailed;
            if (code == 403) return XnatErrorId.Forbidden;
            if (code == 404) return XnatErrorId.NotFound;
            if (code == 409) return XnatErrorId.Conflict;
            if (code == 408 || code == 504) return XnatErrorId.Timeout;
            if (code >= 500) return XnatErrorId.ServerError;
            if (code >= 300 && code < 400) return XnatErrorId.AuthenticationFailed;
            return XnatErrorId.BadRequest;
        }
    }
}
