using System;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace HandiImaging.Core.Xnat
{
    /// <summary>Turns XNAT's error bodies (text/plain from /xapi, Tomcat or Restlet HTML pages from /data) into one short line.</summary>
    internal static class XnatMessageText
    {
        private const int MaxLength = 300;
        private static readonly Regex Tags = new Regex("<[^>]*>", RegexOptions.CultureInvariant);
        private static readonly Regex Blocks = new Regex("<(script|style|head)[^>]*>.*?</\\1\\s*>", RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.IgnoreCase);
        private static readonly Regex Space = new Regex("\\s+", RegexOptions.CultureInvariant);
        private static readonly Regex TomcatMessage = new Regex("<b>\\s*(?:Message|message)\\s*</b>\\s*(?:<u>)?(?<m>[^<]*)", RegexOptions.CultureInvariant);

        public static bool LooksLikeHtml(string? mediaType, string body)
        {
            if (mediaType != null && mediaType.IndexOf("html", StringComparison.OrdinalIgnoreCase) >= 0) return true;
            var start = body.TrimStart();
            return start.StartsWith("<!DOCTYPE", StringComparison.OrdinalIgnoreCase) || start.StartsWith("<html", StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>The message of an error body, or null when it has none.</summary>
        public static string? Of(string? mediaType, string body)
        {
            if (string.IsNullOrWhiteSpace(body)) return null;
            string text;
            if (LooksLikeHtml(mediaType, body))
            {
                // Tomcat's error report puts the message after a bold "Message"; prefer it to the whole page.
                var m = TomcatMessage.Match(body);
                text = m.Success && m.Groups["m"].Value.Trim().Length > 0
                    ? m.Groups["m"].Value
                    : Tags.Replace(Blocks.Replace(body, " "), " ");
                text = WebUtility.HtmlDecode(text);
            }
            else
            {
                text = body;
            }
            text = Space.Replace(text, " ").Trim();
            if (text.Length == 0) return null;
            return text.Length <= MaxLength ? text : text.Substring(0, MaxLength) + "…";
        }

        /// <summary>A printable form of a path and query for messages: the query is kept (it holds only IDs the user gave).</summary>
        public static string Describe(string method, string pathAndQuery)
        {
            var sb = new StringBuilder(method.Length + pathAndQuery.Length + 1);
            sb.Append(method).Append(' ').Append(pathAndQuery.Length > 200 ? pathAndQuery.Substring(0, 200) + "…" : pathAndQuery);
            return sb.ToString();
        }
    }
}
