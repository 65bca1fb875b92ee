using System.Net;
using System.Text;
using System.Text.Json;

namespace HandiImaging.XnatDouble.Http;

/// <summary>Bodies and headers the way XNAT's layers (Tomcat, Restlet, Spring XAPI) write them.</summary>
internal static class Responses
{
    private static readonly Dictionary<int, (string Reason, string Description)> Statuses = new()
    {
        [400] = ("Bad Request", "The server cannot or will not process the request due to something that is perceived to be a client error."),
        [401] = ("Unauthorized", "The request has not been applied because it lacks valid authentication credentials for the target resource."),
        [403] = ("Forbidden", "The server understood the request but refuses to authorize it."),
        [404] = ("Not Found", "The origin server did not find a current representation for the target resource or is not willing to disclose that one exists."),
        [405] = ("Method Not Allowed", "The method received in the request-line is known by the origin server but not supported by the target resource."),
        [409] = ("Conflict", "The request could not be completed due to a conflict with the current state of the target resource."),
        [500] = ("Internal Server Error", "The server encountered an unexpected condition that prevented it from fulfilling the request."),
        [502] = ("Bad Gateway", "The server, while acting as a gateway or proxy, received an invalid response from an inbound server."),
        [503] = ("Service Unavailable", "The server is currently unable to handle the request due to a temporary overload or scheduled maintenance."),
    };

    /// <summary>Tomcat 9's default error report page (what <c>response.sendError(status, message)</c> produces).</summary>
    public static string TomcatErrorPage(int status, string? message)
    {
        var (reason, description) = Statuses.TryGetValue(status, out var s) ? s : ("Error", "");
        var title = $"HTTP Status {status} – {reason}";
        var body = new StringBuilder();
        body.Append("<!doctype html><html lang=\"en\"><head><title>").Append(title)
            .Append("</title><style type=\"text/css\">body {font-family:Tahoma,Arial,sans-serif;} h1, h2, h3, b {color:white;background-color:#525D76;} h1 {font-size:22px;} .line {height:1px;background-color:#525D76;border:none;}</style></head><body><h1>")
            .Append(title).Append("</h1><hr class=\"line\" /><p><b>Type</b> Status Report</p>");
        if (!string.IsNullOrEmpty(message)) body.Append("<p><b>Message</b> ").Append(WebUtility.HtmlEncode(message)).Append("</p>");
        body.Append("<p><b>Description</b> ").Append(description).Append("</p><hr class=\"line\" /><h3>Apache Tomcat/9.0.85</h3></body></html>");
        return body.ToString();
    }

    public static Task WriteHtmlError(HttpContext context, int status, string? message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html;charset=utf-8";
        return context.Response.WriteAsync(TomcatErrorPage(status, message));
    }

    /// <summary>Restlet's status page for an error set by a resource (<c>setStatus(status, message)</c>).</summary>
    public static Task WriteRestletError(HttpContext context, int status, string message)
    {
        var reason = Statuses.TryGetValue(status, out var s) ? s.Reason : "Error";
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html;charset=ISO-8859-1";
        var html = $"<html>\n<head>\n   <title>Status page</title>\n</head>\n<body>\n<h3>{WebUtility.HtmlEncode(message)}</h3><p>You can get technical details <a href=\"http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.{status % 100 + 1}\">here</a>.<br>\nPlease continue your visit at our <a href=\"/\">home page</a>.\n</p>\n</body>\n</html>\n";
        return context.Response.WriteAsync(html, Encoding.Latin1);
    }

    /// <summary>An XAPI error: <c>text/plain</c> with the message.</summary>
    public static Task WriteXapiError(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain;charset=UTF-8";
        return context.Response.WriteAsync(message);
    }

    public static Task WriteText(HttpContext context, string text, string contentType = "text/plain;charset=UTF-8")
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(text);
    }

    /// <summary>Jackson-style JSON (Spring XAPI): declared property order, camelCase, nulls left out.</summary>
    public static readonly JsonSerializerOptions Jackson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writer options with Java-like escaping (<c>\"</c>, not <c>\u0022</c>).</summary>
    public static readonly JsonWriterOptions Writer = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteJackson<T>(HttpContext context, T value)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, Jackson);
    }

    /// <summary>The login page a browser is redirected to.</summary>
    public const string LoginPage =
        "<!DOCTYPE html>\n<html><head><title>XNAT</title></head><body class=\"login\">\n<div id=\"login_area\"><form name=\"form1\" method=\"post\" action=\"/login\" id=\"login_form\">\n" +
        "<p><label for=\"username\">User</label><input type=\"text\" id=\"username\" name=\"username\"></p>\n" +
        "<p><label for=\"password\">Password</label><input type=\"password\" name=\"password\" id=\"password\" autocomplete=\"off\"></p>\n" +
        "<p class=\"form-submit\"><button class=\"submit btn\" type=\"submit\" name=\"login\">Login</button></p>\n</form></div>\n</body></html>\n";
}
