using System.Text;

namespace HandiImaging.XnatDouble.Http;

/// <summary>Who a request runs as, after XNAT's security filters.</summary>
internal sealed class Caller
{
    public required XnatUser User { get; init; }
    public required ServerSession Session { get; init; }
    public bool IsGuest => User.Username == Authentication.GuestName;
}

/// <summary>
/// XNAT's Spring Security chain as seen from outside (xnat.md §1): Basic authentication (wrong credentials →
/// 401 without a challenge), alias tokens (bad token → 403), the session cap, idle expiry, the anonymous entry
/// point (401 with <c>WWW-Authenticate</c> for non-browser agents on data paths, 302 to the login page for
/// browsers), and a new server session for every cookie-less request.
/// </summary>
internal static class Authentication
{
    public const string GuestName = "guest";
    public const string CookieName = "JSESSIONID";
    private const string CallerKey = "xnat.caller";

    public static readonly string FailureMessage =
        "Login attempt failed. Please try again. Note that the username and password combination you provided was invalid or your user already has the maximum number of user sessions open. After {0} failed login attempts, your user account will be locked. If you believe your account is currently locked, you can unlock it by resetting your password or wait one hour for it to unlock automatically.";

    public const string TokenMessage = "Your security token has expired or is invalid. Please log in again to get a new security token.";

    private static readonly XnatUser Guest = new() { Username = GuestName, Password = "", Id = 0 };

    public static Caller GetCaller(this HttpContext context) => (Caller)context.Items[CallerKey]!;

    /// <summary>URLs Spring lets through without login (configured-urls.yaml).</summary>
    private static bool IsOpenUrl(string path) =>
        path.Equals("/data/JSESSION", StringComparison.Ordinal) || path.Equals("/REST/JSESSION", StringComparison.Ordinal)
        || path.Equals("/data/services/auth", StringComparison.Ordinal) || path.Equals("/REST/services/auth", StringComparison.Ordinal);

    /// <summary>DefaultInteractiveAgentDetector: full-string regexes .*MSIE.*, .*Mozilla.*, .*AppleWebKit.*, .*Opera.*.</summary>
    public static bool IsInteractiveAgent(string? agent) =>
        !string.IsNullOrEmpty(agent) && !agent.Contains("XNATDesktopClient", StringComparison.Ordinal)
        && (agent.Contains("MSIE", StringComparison.Ordinal) || agent.Contains("Mozilla", StringComparison.Ordinal)
            || agent.Contains("AppleWebKit", StringComparison.Ordinal) || agent.Contains("Opera", StringComparison.Ordinal));

    /// <summary>Authenticates the request; returns false when an answer (401/302/403) has been written.</summary>
    public static async Task<bool> AuthenticateAsync(HttpContext context, XnatState state)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        var options = state.Options;
        string? failure = null;
        var tokenFailure = false;
        Caller? caller = null;
        lock (state.Sync)
        {
            var now = state.Clock.Now;
            ServerSession? session = null;
            if (request.Cookies.TryGetValue(CookieName, out var cookie) && state.Sessions.TryGetValue(cookie, out var existing))
            {
                if (existing.IsExpired(now, options.SessionTimeout)) state.Sessions.Remove(cookie);
                else session = existing;
            }

            var basic = ParseBasic(request.Headers.Authorization.ToString());
            if (basic is { } held && session is not null && session.Username == held.User && state.Users.TryGetValue(held.User, out var sessionUser))
            {
                // Spring's BasicAuthenticationFilter does not re-authenticate the user the session already holds.
                caller = new Caller { User = sessionUser, Session = session };
            }
            else if (basic is { } credentials)
            {
                var user = ResolveCredentials(state, credentials.User, credentials.Password, now, out tokenFailure);
                if (user is null)
                {
                    failure = "credentials";
                }
                else if (session is not null && session.Username == user.Username)
                {
                    caller = new Caller { User = user, Session = session };
                }
                else
                {
                    var live = state.Sessions.Values.Count(s => s.Username == user.Username && !s.IsExpired(now, options.SessionTimeout));
                    if (live >= options.MaxSessionsPerUser)
                    {
                        failure = "credentials";
                    }
                    else
                    {
                        // Session fixation protection: authenticating gives a fresh session id.
                        if (session is not null) state.Sessions.Remove(session.Id);
                        caller = new Caller { User = user, Session = NewSession(context, state, user.Username, now) };
                    }
                }
            }
            else if (session is { Username: not null } && !(session.Username == GuestName && options.RequireLogin && !IsOpenUrl(path)))
            {
                caller = new Caller { User = session.Username == GuestName ? Guest : state.Users.GetValueOrDefault(session.Username) ?? Guest, Session = session };
            }
            else
            {
                // Every cookie-less request creates a server session (XnatExpiredPasswordFilter calls getSession()).
                session ??= NewSession(context, state, null, now);
                if (IsOpenUrl(path) || !options.RequireLogin)
                {
                    session.Username = GuestName;
                    caller = new Caller { User = Guest, Session = session };
                }
            }

            if (caller is not null)
            {
                caller.Session.LastAccessed = now;
                caller.Session.Requests++;
            }
        }

        if (caller is not null)
        {
            context.Items[CallerKey] = caller;
            return true;
        }
        if (tokenFailure)
        {
            await Responses.WriteHtmlError(context, 403, TokenMessage);
        }
        else if (failure is not null)
        {
            await Responses.WriteHtmlError(context, 401, string.Format(System.Globalization.CultureInfo.InvariantCulture, FailureMessage, options.MaxFailedLogins));
        }
        else if (IsInteractiveAgent(request.Headers.UserAgent.ToString()))
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = $"{request.Scheme}://{request.Host}/app/template/Login.vm";
        }
        else
        {
            context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{options.SiteId}\"";
            await Responses.WriteHtmlError(context, 401, null);
        }
        return false;
    }

    /// <summary>A user for the credentials, counting failures and honouring the lockout; null when they fail.</summary>
    private static XnatUser? ResolveCredentials(XnatState state, string username, string password, DateTimeOffset now, out bool tokenFailure)
    {
        tokenFailure = false;
        if (!state.Users.TryGetValue(username, out var user))
        {
            // An alias token is used as Basic alias:secret.
            if (state.Tokens.TryGetValue(username, out var token))
            {
                if (token.Expires > now && token.Secret == password && state.Users.TryGetValue(token.Username, out var owner) && owner.Enabled)
                    return owner;
                tokenFailure = true;
                return null;
            }
            if (Guid.TryParse(username, out _)) tokenFailure = true;
            return null;
        }
        if (user.LockedUntil is { } until && until > now) return null;
        if (!user.Enabled || user.Password != password)
        {
            user.FailedLogins++;
            if (user.FailedLogins >= state.Options.MaxFailedLogins)
            {
                user.LockedUntil = now + state.Options.LockoutDuration;
                user.FailedLogins = 0;
            }
            return null;
        }
        user.FailedLogins = 0;
        return user;
    }

    private static ServerSession NewSession(HttpContext context, XnatState state, string? username, DateTimeOffset now)
    {
        var session = new ServerSession { Id = XnatState.NewSessionId(), Username = username, Created = now, LastAccessed = now };
        state.Sessions[session.Id] = session;
        var key = username ?? "(anonymous)";
        state.SessionsCreated[key] = state.SessionsCreated.GetValueOrDefault(key) + 1;
        context.Response.Headers.Append("Set-Cookie", $"{CookieName}={session.Id}; Path=/; HttpOnly");
        return session;
    }

    /// <summary>Makes an anonymous session the caller's after a form login (<c>/data/services/auth</c>).</summary>
    internal static ServerSession LoginSession(HttpContext context, XnatState state, XnatUser user)
    {
        lock (state.Sync)
        {
            var now = state.Clock.Now;
            var current = context.GetCaller().Session;
            state.Sessions.Remove(current.Id);
            return NewSession(context, state, user.Username, now);
        }
    }

    internal static XnatUser? CheckPassword(XnatState state, string username, string password)
    {
        lock (state.Sync) return ResolveCredentials(state, username, password, state.Clock.Now, out _);
    }

    private static (string User, string Password)? ParseBasic(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = text.IndexOf(':');
            return colon < 0 ? (text, "") : (text[..colon], text[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return ("", "");
        }
    }
}
