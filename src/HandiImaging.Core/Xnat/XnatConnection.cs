using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Authentication;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace HandiImaging.Core.Xnat
{
    /// <summary>How to reach and log in to an XNAT server.</summary>
    public sealed class XnatConnectionOptions
    {
        public XnatConnectionOptions(Uri uri, NetworkCredential credential)
        {
            Uri = uri ?? throw new ArgumentNullException(nameof(uri));
            Credential = credential ?? throw new ArgumentNullException(nameof(credential));
        }

        /// <summary>The site address, with its context path if any (https://xnat.example.org/xnat).</summary>
        public Uri Uri { get; }

        /// <summary>User name and password, or an alias token (alias as the user name, secret as the password).</summary>
        public NetworkCredential Credential { get; }

        /// <summary>How long one call may take to answer (and the longest pause inside a streamed body).</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

        /// <summary>Accept any TLS certificate. Off by default: certificates are verified.</summary>
        public bool SkipCertificateCheck { get; set; }

        /// <summary>Extra attempts an idempotent GET gets after a 5xx answer, a timeout or a dropped connection.</summary>
        public int RetryCount { get; set; } = 3;

        /// <summary>The first retry's delay; each next one doubles it.</summary>
        public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>
        /// A keep-alive (GET /data/JSESSION) is sent when the session has been idle this long, so it outlives
        /// XNAT's 15-minute idle timeout between calls. Zero turns it off.
        /// </summary>
        public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromMinutes(5);

        /// <summary>A handler to send through instead of our own (tests, proxies); its TLS settings then apply.</summary>
        public HttpMessageHandler? Handler { get; set; }

        /// <summary>Receives one line per call (method, path, status, time) — never credentials.</summary>
        public Action<string>? Log { get; set; }
    }

    /// <summary>What a call expects back; anything else in a 2xx answer is an error, never an empty result.</summary>
    public enum XnatExpect
    {
        /// <summary>Any body (or none).</summary>
        Any,
        Json,
        Text,
    }

    /// <summary>
    /// One logged-in XNAT server session, reused for every call (XNAT creates a server session for every request
    /// that comes without its cookie, and caps a user at 1,000). Credentials go out once, pre-emptively, on
    /// login; later calls carry only the JSESSIONID cookie. An expired session is logged in again once; a 401 is
    /// never retried otherwise (20 failures lock the account). Every call has a timeout; idempotent GETs are
    /// retried with backoff on 5xx answers, timeouts and dropped connections; other methods never are.
    /// </summary>
    public sealed class XnatConnection : IDisposable
    {
        public const string SessionCookie = "JSESSIONID";
        private static readonly Regex LoggedIn = new Regex("^User '(?<user>.*)' is logged in", RegexOptions.CultureInvariant);
        private static readonly Regex SessionIdText = new Regex("^[A-Za-z0-9_\\-.]{8,128}$", RegexOptions.CultureInvariant);

        private readonly XnatConnectionOptions _options;
        private readonly HttpClient _http;
        private readonly string _base;
        private readonly SemaphoreSlim _loginLock = new SemaphoreSlim(1, 1);
        private readonly Timer? _keepAlive;
        private volatile string? _sessionId;
        private long _lastUsedTicks;
        private long _serverMs;
        private long _serverMsAt;
        private int _requestCount;
        private int _loginCount;
        private int _keepAliveRunning;
        private bool _disposed;

        private XnatConnection(XnatConnectionOptions options)
        {
            _options = options;
            var uri = options.Uri;
            if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                throw new ArgumentException($"The XNAT address {uri} must start with https:// or http://.", nameof(options));
            _base = uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
            HttpMessageHandler handler;
            if (options.Handler != null)
            {
                handler = options.Handler;
            }
            else
            {
                var own = new HttpClientHandler
                {
                    // Cookies are ours: XNAT sends a second cookie (SESSION_EXPIRATION_TIME="ms,ms") that some
                    // cookie parsers choke on, and we must notice when it hands us a new session.
                    UseCookies = false,
                    // A redirect means a login page; following it would turn an error into a page of HTML.
                    AllowAutoRedirect = false,
                    AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
                };
                if (options.SkipCertificateCheck) own.ServerCertificateCustomValidationCallback = (_, _, _, _) => true;
                handler = own;
            }
            _http = new HttpClient(handler, disposeHandler: options.Handler == null) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            if (options.KeepAliveInterval > TimeSpan.Zero)
                _keepAlive = new Timer(_ => OnKeepAliveTimer(), null, options.KeepAliveInterval, options.KeepAliveInterval);
        }

        /// <summary>Our User-Agent: not a browser's, so XNAT answers 401 rather than redirecting to its login page.</summary>
        public static string UserAgent { get; } = "HandiImaging/" + Version();

        /// <summary>The site address as given.</summary>
        public Uri Uri => _options.Uri;

        /// <summary>The user XNAT says is logged in (for an alias token, the token's owner).</summary>
        public string UserName { get; private set; } = "";

        public DateTime ConnectedAt { get; private set; }

        public bool IsConnected => _sessionId != null && !_disposed;

        /// <summary>Requests sent so far (logins and keep-alives included).</summary>
        public int RequestCount => Volatile.Read(ref _requestCount);

        /// <summary>Logins so far: 1, plus one for each expired session renewed.</summary>
        public int LoginCount => Volatile.Read(ref _loginCount);

        public TimeSpan Timeout => _options.Timeout;

        public DateTime LastUsed => new DateTime(Interlocked.Read(ref _lastUsedTicks), DateTimeKind.Utc);

        /// <summary>
        /// The server's clock now (UTC), from the time XNAT stamps on every answer (its SESSION_EXPIRATION_TIME
        /// cookie, else the Date header) plus the time since; this machine's clock before any answer. DQR's times
        /// are the server's, so staleness is judged on its clock.
        /// </summary>
        public DateTime ServerNow
        {
            get
            {
                var ms = Interlocked.Read(ref _serverMs);
                if (ms == 0) return DateTime.UtcNow;
                var since = Stopwatch.GetTimestamp() - Interlocked.Read(ref _serverMsAt);
                return XnatValues.FromEpochMilliseconds(ms)!.Value.AddSeconds(since / (double)Stopwatch.Frequency);
            }
        }

        /// <summary>Logs in (one server session) and checks XNAT really took us as the user, not as a guest.</summary>
        public static async Task<XnatConnection> OpenAsync(XnatConnectionOptions options, CancellationToken cancellationToken)
        {
            var connection = new XnatConnection(options);
            try
            {
                await connection.LoginAsync(cancellationToken).ConfigureAwait(false);
                connection.ConnectedAt = DateTime.UtcNow;
                return connection;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <summary>Ends the server session (DELETE /data/JSESSION). The connection cannot be used afterwards.</summary>
        public async Task CloseAsync(CancellationToken cancellationToken)
        {
            if (_sessionId == null) return;
            try
            {
                using var _ = await SendOnceAsync(HttpMethod.Delete, "/data/JSESSION", null, XnatExpect.Any, withCredentials: false, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _sessionId = null;
                Dispose();
            }
        }

        /// <summary>Touches the server session so its idle timeout starts again; renews it if it has expired.</summary>
        public async Task KeepAliveAsync(CancellationToken cancellationToken)
        {
            using var response = await SendAsync(HttpMethod.Get, "/data/JSESSION", null, XnatExpect.Text, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Sends one call with the session cookie and checks the answer: an error status, a redirect, or an HTML
        /// page where <paramref name="expect"/> wanted data becomes an <see cref="XnatException"/>. GETs are
        /// retried (backoff) on 5xx, timeouts and dropped connections; no method is retried after a 401 except once
        /// after renewing an expired session. The caller disposes the answer.
        /// </summary>
        public async Task<XnatResponse> SendAsync(HttpMethod method, string pathAndQuery, string? jsonBody, XnatExpect expect, CancellationToken cancellationToken)
        {
            var idempotent = method == HttpMethod.Get || method == HttpMethod.Head;
            var renewed = false;
            for (var attempt = 0; ; attempt++)
            {
                var session = _sessionId ?? throw new XnatException(XnatErrorId.NotConnected, $"Not connected to {Uri}: connect first (Connect-Xnat).");
                XnatResponse response;
                try
                {
                    response = await SendOnceAsync(method, pathAndQuery, jsonBody, expect, withCredentials: false, cancellationToken).ConfigureAwait(false);
                }
                catch (XnatException ex) when (idempotent && attempt < _options.RetryCount && IsTransient(ex))
                {
                    WriteLog($"{XnatMessageText.Describe(method.Method, pathAndQuery)}: {ex.ErrorId}, retrying ({attempt + 1} of {_options.RetryCount})");
                    await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (XnatException ex) when (!renewed && ex.ErrorId == XnatErrorId.AuthenticationFailed && SessionExpired(ex, session))
                {
                    renewed = true;
                    await RenewAsync(session, cancellationToken).ConfigureAwait(false);
                    attempt--;
                    continue;
                }
                // A new session handed out with a 2xx answer means ours had expired and the answer was a guest's.
                if (response.NewSessionId != null && response.NewSessionId != session)
                {
                    response.Dispose();
                    if (renewed || !idempotent)
                        throw new XnatException(XnatErrorId.AuthenticationFailed,
                            $"{XnatMessageText.Describe(method.Method, pathAndQuery)}: XNAT answered in a new server session, i.e. ours had expired; the answer was not trusted.");
                    renewed = true;
                    await RenewAsync(session, cancellationToken).ConfigureAwait(false);
                    attempt--;
                    continue;
                }
                return response;
            }
        }

        private static bool IsTransient(XnatException ex) =>
            ex.ErrorId == XnatErrorId.ServerError || ex.ErrorId == XnatErrorId.Timeout || ex.ErrorId == XnatErrorId.ConnectionFailed;

        /// <summary>A 401 with a Basic challenge (or a login redirect) is what XNAT sends a request without a live session.</summary>
        private bool SessionExpired(XnatException ex, string sessionUsed) =>
            _sessionId == sessionUsed && (ex.Data.Contains(ChallengeKey) || ex.Data.Contains(RedirectKey));

        private const string ChallengeKey = "challenge";
        private const string RedirectKey = "redirect";

        private TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(_options.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt));

        private async Task RenewAsync(string expiredSession, CancellationToken cancellationToken)
        {
            await _loginLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Another call may have renewed it while we waited.
                if (_sessionId != expiredSession) return;
                WriteLog("the XNAT session has expired; logging in again");
                await LoginCoreAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _loginLock.Release();
            }
        }

        private async Task LoginAsync(CancellationToken cancellationToken)
        {
            await _loginLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await LoginCoreAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _loginLock.Release();
            }
        }

        private async Task LoginCoreAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _loginCount);
            _sessionId = null;
            string body;
            string? cookie;
            using (var response = await SendOnceAsync(HttpMethod.Post, "/data/JSESSION", null, XnatExpect.Text, withCredentials: true, cancellationToken).ConfigureAwait(false))
            {
                body = (await response.ReadTextAsync(cancellationToken).ConfigureAwait(false)).Trim();
                cookie = response.NewSessionId;
            }
            // Optional "; XNAT_CSRF=…" after the id.
            var id = body.Split(';')[0].Trim();
            if (!SessionIdText.IsMatch(id))
                throw new XnatException(XnatErrorId.AuthenticationFailed, $"Logging in to {Uri} gave no session id (the answer was not XNAT's); check the address.");
            _sessionId = cookie ?? id;

            string auth;
            using (var response = await SendOnceAsync(HttpMethod.Get, "/data/auth", null, XnatExpect.Text, withCredentials: false, cancellationToken).ConfigureAwait(false))
                auth = (await response.ReadTextAsync(cancellationToken).ConfigureAwait(false)).Trim();
            var match = LoggedIn.Match(auth);
            if (!match.Success)
            {
                _sessionId = null;
                throw new XnatException(XnatErrorId.AuthenticationFailed, $"{Uri} did not confirm the login (GET /data/auth answered something else).");
            }
            var user = match.Groups["user"].Value;
            if (user.Length == 0 || string.Equals(user, "guest", StringComparison.OrdinalIgnoreCase))
            {
                _sessionId = null;
                throw new XnatException(XnatErrorId.AuthenticationFailed, $"{Uri} took the login as the guest user: the credentials were not accepted.");
            }
            UserName = user;
        }

        /// <summary>One HTTP exchange: no retry, no renewal.</summary>
        private async Task<XnatResponse> SendOnceAsync(HttpMethod method, string pathAndQuery, string? jsonBody, XnatExpect expect, bool withCredentials, CancellationToken cancellationToken)
        {
            if (_disposed) throw new XnatException(XnatErrorId.NotConnected, $"The connection to {Uri} is closed.");
            var what = XnatMessageText.Describe(method.Method, pathAndQuery);
            using var request = new HttpRequestMessage(method, _base + pathAndQuery);
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(expect == XnatExpect.Json ? "application/json" : expect == XnatExpect.Text ? "text/plain" : "*/*"));
            if (withCredentials)
            {
                var credential = _options.Credential;
                var token = Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.UserName + ":" + credential.Password));
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", token);
            }
            else if (_sessionId is { } session)
            {
                request.Headers.TryAddWithoutValidation("Cookie", SessionCookie + "=" + session);
            }
            if (jsonBody != null) request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");

            Interlocked.Increment(ref _requestCount);
            var watch = Stopwatch.StartNew();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            HttpResponseMessage http;
            try
            {
                http = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                WriteLog($"{what}: no answer within {_options.Timeout.TotalSeconds:0.#} s");
                throw new XnatException(XnatErrorId.Timeout, $"{what}: {Uri.Host} did not answer within {_options.Timeout.TotalSeconds:0.#} s.");
            }
            catch (HttpRequestException ex)
            {
                WriteLog($"{what}: {ex.GetBaseException().Message}");
                if (Inner<AuthenticationException>(ex) != null)
                    throw new XnatException(XnatErrorId.CertificateRejected,
                        $"{what}: the TLS connection to {Uri.Host} failed ({ex.GetBaseException().Message}). If the site uses a certificate this machine does not trust, install its CA or use -SkipCertificateCheck.", inner: ex);
                throw new XnatException(XnatErrorId.ConnectionFailed, $"{what}: cannot reach {Uri.Host} ({ex.GetBaseException().Message}).", inner: ex);
            }
            Interlocked.Exchange(ref _lastUsedTicks, DateTime.UtcNow.Ticks);
            NoteServerTime(http);
            var response = new XnatResponse(http, NewSession(http), _options.Timeout, cancellationToken);
            try
            {
                await CheckAsync(response, what, expect, withCredentials, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                response.Dispose();
                throw;
            }
            WriteLog($"{what}: {(int)http.StatusCode} ({watch.ElapsedMilliseconds} ms)");
            return response;
        }

        private async Task CheckAsync(XnatResponse response, string what, XnatExpect expect, bool login, CancellationToken cancellationToken)
        {
            var http = response.Message;
            var status = (int)http.StatusCode;
            var mediaType = http.Content?.Headers.ContentType?.MediaType;
            if (status >= 300 && status < 400)
            {
                var location = http.Headers.Location?.ToString() ?? "";
                var ex = new XnatException(XnatErrorId.AuthenticationFailed,
                    $"{what}: XNAT redirected to {(location.Length > 0 ? location : "another page")} instead of answering — a login page, i.e. the session is not logged in.", status);
                ex.Data[RedirectKey] = location;
                throw ex;
            }
            if (status >= 400)
            {
                var body = await response.ReadTextAsync(cancellationToken, limit: 64 * 1024).ConfigureAwait(false);
                var message = XnatMessageText.Of(mediaType, body);
                var id = XnatException.IdFor(http.StatusCode);
                // An expired or unknown alias token is an authentication failure although XNAT says 403.
                if (status == 403 && message != null && (message.IndexOf("security token", StringComparison.OrdinalIgnoreCase) >= 0 || message.IndexOf("password has expired", StringComparison.OrdinalIgnoreCase) >= 0))
                    id = XnatErrorId.AuthenticationFailed;
                var text = status == 401
                    ? login
                        ? $"{what}: XNAT refused the login (401): wrong user name or password, an expired token, or the user already has the maximum number of sessions open. Not retried: repeated failures lock the account."
                        : $"{what}: XNAT refused the call (401): the session is not logged in."
                    : $"{what}: XNAT answered {status} {http.ReasonPhrase}{(message != null ? ": " + message : "")}";
                var ex = new XnatException(id, text, status, message);
                if (status == 401 && http.Headers.WwwAuthenticate.Count > 0) ex.Data[ChallengeKey] = true;
                throw ex;
            }
            if (expect == XnatExpect.Any) return;
            if (mediaType != null && mediaType.IndexOf("html", StringComparison.OrdinalIgnoreCase) >= 0)
                throw new XnatException(XnatErrorId.AuthenticationFailed,
                    $"{what}: XNAT answered with an HTML page where {(expect == XnatExpect.Json ? "JSON" : "text")} was expected — a login page: the session is not logged in.", status);
        }

        private static readonly Regex ExpirationCookie = new Regex("^\\s*SESSION_EXPIRATION_TIME=\"?(?<now>[0-9]{10,15}),", RegexOptions.CultureInvariant);

        private void NoteServerTime(HttpResponseMessage http)
        {
            long ms = 0;
            if (http.Headers.TryGetValues("Set-Cookie", out var values))
            {
                foreach (var value in values)
                {
                    var m = ExpirationCookie.Match(value);
                    if (m.Success && long.TryParse(m.Groups["now"].Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ms)) break;
                }
            }
            if (ms == 0 && http.Headers.Date is { } date) ms = date.ToUnixTimeMilliseconds();
            if (ms == 0) return;
            Interlocked.Exchange(ref _serverMs, ms);
            Interlocked.Exchange(ref _serverMsAt, Stopwatch.GetTimestamp());
        }

        private static string? NewSession(HttpResponseMessage http)
        {
            if (!http.Headers.TryGetValues("Set-Cookie", out var values)) return null;
            foreach (var value in values)
            {
                // Each header is one cookie: name=value; attributes. Other cookies (SESSION_EXPIRATION_TIME) are ignored.
                var end = value.IndexOf(';');
                var pair = end < 0 ? value : value.Substring(0, end);
                var eq = pair.IndexOf('=');
                if (eq <= 0) continue;
                if (!string.Equals(pair.Substring(0, eq).Trim(), SessionCookie, StringComparison.Ordinal)) continue;
                var id = pair.Substring(eq + 1).Trim().Trim('"');
                if (id.Length > 0) return id;
            }
            return null;
        }

        private void OnKeepAliveTimer()
        {
            if (!IsConnected || DateTime.UtcNow - LastUsed < _options.KeepAliveInterval - TimeSpan.FromSeconds(1)) return;
            if (Interlocked.Exchange(ref _keepAliveRunning, 1) == 1) return;
            Task.Run(async () =>
            {
                try
                {
                    await KeepAliveAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    WriteLog($"keep-alive failed: {ex.Message}");
                }
                finally
                {
                    Interlocked.Exchange(ref _keepAliveRunning, 0);
                }
            });
        }

        /// <summary>Where call lines go (replaces the options' Log; may be called from a keep-alive thread).</summary>
        public Action<string>? Log
        {
            get => _log ?? _options.Log;
            set => _log = value;
        }

        private Action<string>? _log;

        private void WriteLog(string line) => Log?.Invoke(line);

        private static T? Inner<T>(Exception ex) where T : Exception
        {
            for (Exception? e = ex; e != null; e = e.InnerException) if (e is T t) return t;
            return null;
        }

        private static string Version()
        {
            var assembly = typeof(XnatConnection).Assembly;
            var info = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            if (!string.IsNullOrEmpty(info)) return info!.Split('+')[0];
            return assembly.GetName().Version?.ToString(3) ?? "0";
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _keepAlive?.Dispose();
            _http.Dispose();
            _loginLock.Dispose();
        }

        public override string ToString() => $"{UserName}@{Uri}";
    }

    /// <summary>A checked answer whose body has not been read yet. Reads pause at most the call's timeout.</summary>
    public sealed class XnatResponse : IDisposable
    {
        private readonly TimeSpan _timeout;
        private readonly CancellationToken _cancellationToken;

        internal XnatResponse(HttpResponseMessage message, string? newSessionId, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Message = message;
            NewSessionId = newSessionId;
            _timeout = timeout;
            _cancellationToken = cancellationToken;
        }

        public HttpResponseMessage Message { get; }

        public int StatusCode => (int)Message.StatusCode;

        /// <summary>The JSESSIONID this answer set, when it set one.</summary>
        internal string? NewSessionId { get; }

        /// <summary>The body as a stream whose every read times out after the call's timeout (and honours cancellation).</summary>
        public Stream OpenBody()
        {
            if (Message.Content == null) return Stream.Null;
            var inner = Message.Content.ReadAsStreamAsync().GetAwaiter().GetResult();
            return new TimeoutReadStream(inner, _timeout, _cancellationToken);
        }

        public async Task<string> ReadTextAsync(CancellationToken cancellationToken, int limit = int.MaxValue)
        {
            if (Message.Content == null) return "";
            using var stream = new TimeoutReadStream(await Message.Content.ReadAsStreamAsync().ConfigureAwait(false), _timeout, cancellationToken);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var buffer = new char[8192];
            var text = new StringBuilder();
            int n;
            while (text.Length < limit && (n = await reader.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false)) > 0)
                text.Append(buffer, 0, n);
            return text.ToString();
        }

        public void Dispose() => Message.Dispose();
    }

    /// <summary>A read-only stream over a response body whose reads give up after a pause of the call's timeout.</summary>
    internal sealed class TimeoutReadStream : Stream
    {
        private readonly Stream _inner;
        private readonly TimeSpan _timeout;
        private readonly CancellationToken _cancellationToken;

        public TimeoutReadStream(Stream inner, TimeSpan timeout, CancellationToken cancellationToken)
        {
            _inner = inner;
            _timeout = timeout;
            _cancellationToken = cancellationToken;
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cancellationToken);
            linked.CancelAfter(_timeout);
            try
            {
                return await _inner.ReadAsync(buffer, offset, count, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_cancellationToken.IsCancellationRequested)
            {
                throw new XnatException(XnatErrorId.Timeout, $"XNAT stopped sending for {_timeout.TotalSeconds:0.#} s in the middle of an answer.");
            }
            catch (Exception ex) when (ex is IOException || ex is HttpRequestException)
            {
                throw new XnatException(XnatErrorId.ConnectionFailed, $"The connection to XNAT broke in the middle of an answer ({ex.GetBaseException().Message}).", inner: ex);
            }
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
