using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HandiImaging.XnatDouble.Tests;

/// <summary>xnat.md §1: JSESSION, cookies, 401/302 rules, guest sessions, idle expiry, the session cap, alias tokens.</summary>
public sealed class SessionTests
{
    private const string Listing = "/data/projects/RT-HaND/experiments?format=json";

    [Fact]
    public async Task Login_returns_the_session_id_as_text_with_a_JSESSIONID_cookie_and_the_second_expiry_cookie()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        using var response = await raw.Send(HttpMethod.Post, "/data/JSESSION", Raw.Basic("admin", "secret"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        var id = await response.Content.ReadAsStringAsync();
        Assert.Matches("^[0-9A-F]{32}$", id);
        var cookies = Raw.SetCookies(response);
        Assert.Contains(cookies, c => c.StartsWith("JSESSIONID=" + id + ";", StringComparison.Ordinal) && c.Contains("HttpOnly", StringComparison.Ordinal));
        Assert.Contains(cookies, c => Regex.IsMatch(c, "^SESSION_EXPIRATION_TIME=\"\\d{13},900000\"; Version=1; Path=/$"));

        // The cookie alone is the session from now on: same id, no new session, the user is known.
        using var again = await raw.Get("/data/JSESSION", cookie: id);
        Assert.Equal(id, await again.Content.ReadAsStringAsync());
        Assert.DoesNotContain(Raw.SetCookies(again), c => c.StartsWith("JSESSIONID=", StringComparison.Ordinal));
        Assert.Contains(Raw.SetCookies(again), c => c.StartsWith("SESSION_EXPIRATION_TIME=", StringComparison.Ordinal));
        Assert.Equal("User 'admin' is logged in", await raw.Text("/data/auth", id));
        Assert.Equal(1, xnat.State.SessionsCreatedFor("admin"));
    }

    [Fact]
    public async Task Basic_credentials_with_the_cookie_reuse_the_session_but_without_it_create_one_per_request()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        var id = await raw.Login();
        for (var i = 0; i < 3; i++)
        {
            using var r = await raw.Get(Listing, Raw.Basic("admin", "secret"), cookie: id);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        Assert.Equal(1, xnat.State.SessionsCreatedFor("admin"));
        for (var i = 0; i < 3; i++)
        {
            using var r = await raw.Get(Listing, Raw.Basic("admin", "secret"));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        Assert.Equal(4, xnat.State.SessionsCreatedFor("admin"));
        Assert.Equal(4, xnat.State.LiveSessions().Count(s => s.Username == "admin"));
    }

    [Fact]
    public async Task Basic_credentials_for_the_user_the_session_holds_are_not_checked_again_but_another_users_are()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        var id = await raw.Login();
        using (var same = await raw.Get(Listing, Raw.Basic("admin", "stale-password"), cookie: id)) Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        using (var other = await raw.Get(Listing, Raw.Basic("member", "wrong"), cookie: id)) Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        using var switched = await raw.Send(HttpMethod.Post, "/data/JSESSION", Raw.Basic("member", "pw"), cookie: id);
        var memberSession = await switched.Content.ReadAsStringAsync();
        Assert.NotEqual(id, memberSession);
        Assert.Equal("User 'member' is logged in", await raw.Text("/data/auth", memberSession));
    }

    [Fact]
    public async Task Delete_ends_the_session_so_the_cookie_no_longer_authenticates()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        var id = await raw.Login();
        using var delete = await raw.Send(HttpMethod.Delete, "/data/JSESSION", cookie: id);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Equal("", await delete.Content.ReadAsStringAsync());
        using var after = await raw.Get(Listing, cookie: id);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        using var put = await raw.Send(HttpMethod.Put, "/data/JSESSION", Raw.Basic("admin", "secret"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
    }

    [Fact]
    public async Task Missing_credentials_get_401_with_a_Basic_challenge_and_an_HTML_body_and_still_create_a_server_session()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        foreach (var path in new[] { Listing, "/xapi/pacs", "/REST/experiments" })
        {
            using var response = await raw.Get(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Basic realm=\"XNAT\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
            Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
            Assert.StartsWith("<!doctype html>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Contains(Raw.SetCookies(response), c => c.StartsWith("JSESSIONID=", StringComparison.Ordinal));
        }
        Assert.Equal(3, xnat.State.SessionsCreatedFor("(anonymous)"));
    }

    [Theory]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")]
    [InlineData("Opera/9.80")]
    [InlineData("Something AppleWebKit/537.36")]
    public async Task A_browser_agent_without_credentials_is_redirected_to_the_login_page(string agent)
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        using var response = await raw.Get(Listing, agent: agent);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(new Uri(xnat.BaseUri, "/app/template/Login.vm"), response.Headers.Location);
        Assert.Empty(response.Headers.WwwAuthenticate);
        using var page = await raw.Get(response.Headers.Location!.PathAndQuery, agent: agent);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<form", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Raw.Agent)]
    [InlineData("Mozilla/5.0")]
    public async Task Wrong_credentials_get_401_without_a_challenge_whatever_the_agent(string agent)
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        foreach (var auth in new[] { Raw.Basic("admin", "wrong"), Raw.Basic("nobody", "x") })
        {
            using var response = await raw.Send(HttpMethod.Get, Listing, auth, agent: agent);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Empty(response.Headers.WwwAuthenticate);
            Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("maximum number of user sessions open", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Twenty_failed_logins_lock_the_account_for_an_hour()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        for (var i = 0; i < 20; i++)
        {
            using var wrong = await raw.Send(HttpMethod.Post, "/data/JSESSION", Raw.Basic("admin", "wrong"));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using (var locked = await raw.Send(HttpMethod.Post, "/data/JSESSION", Raw.Basic("admin", "secret")))
            Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        xnat.Clock.Advance(TimeSpan.FromMinutes(61));
        using var unlocked = await raw.Send(HttpMethod.Post, "/data/JSESSION", Raw.Basic("admin", "secret"));
        Assert.Equal(HttpStatusCode.OK, unlocked.StatusCode);
    }

    [Fact]
    public async Task A_JSESSION_id_without_credentials_is_a_guest_session_that_cannot_read_data()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        using var guest = await raw.Send(HttpMethod.Post, "/data/JSESSION");
        Assert.Equal(HttpStatusCode.OK, guest.StatusCode);
        var id = await guest.Content.ReadAsStringAsync();
        Assert.Matches("^[0-9A-F]{32}$", id);
        using var listing = await raw.Get(Listing, cookie: id);
        Assert.Equal(HttpStatusCode.Unauthorized, listing.StatusCode);
        using var auth = await raw.Get("/data/auth", cookie: id);
        Assert.Equal(HttpStatusCode.Unauthorized, auth.StatusCode);
    }

    [Fact]
    public async Task Without_required_login_anonymous_requests_are_the_guest_and_see_public_projects_only()
    {
        await using var xnat = await Doubles.Start(new XnatDoubleOptions { RequireLogin = false });
        xnat.State.AddProject("PUBLIC", isPublic: true);
        xnat.State.AddExperiment(Doubles.Session("PUB1", project: "PUBLIC"));
        xnat.State.AddExperiment(Doubles.Session("PRIV1"));
        using var raw = new Raw(xnat);
        using var auth = await raw.Get("/data/auth");
        Assert.Equal("User 'guest' is logged in", await auth.Content.ReadAsStringAsync());
        var cookie = Raw.SetCookies(auth).First(c => c.StartsWith("JSESSIONID=", StringComparison.Ordinal))[11..43];
        var (rows, _) = await raw.ResultSet("/data/experiments?columns=label", cookie);
        Assert.Equal("PUB1", Assert.Single(rows)["label"].GetString());
        using var token = await raw.Get("/data/services/tokens/issue", cookie: cookie);
        Assert.Equal(HttpStatusCode.Forbidden, token.StatusCode);
    }

    [Fact]
    public async Task An_idle_session_expires_after_15_minutes_and_a_keep_alive_holds_it()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        var kept = await raw.Login();
        var idle = await raw.Login();
        for (var i = 0; i < 3; i++)
        {
            xnat.Clock.Advance(TimeSpan.FromMinutes(10));
            using var keepAlive = await raw.Get("/data/JSESSION", cookie: kept);
            Assert.Equal(kept, await keepAlive.Content.ReadAsStringAsync());
        }
        using (var ok = await raw.Get(Listing, cookie: kept)) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using (var expired = await raw.Get(Listing, cookie: idle))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
            Assert.Single(expired.Headers.WwwAuthenticate);
        }
        // Credentials with the dead cookie log in again with a new id.
        using var relogin = await raw.Send(HttpMethod.Post, "/data/JSESSION", Raw.Basic("admin", "secret"), cookie: idle);
        var fresh = await relogin.Content.ReadAsStringAsync();
        Assert.NotEqual(idle, fresh);
        Assert.Contains(Raw.SetCookies(relogin), c => c.StartsWith("JSESSIONID=" + fresh, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Beyond_the_session_cap_a_login_fails_with_the_wrong_password_answer_but_the_held_sessions_still_work()
    {
        await using var xnat = await Doubles.Start(new XnatDoubleOptions { MaxSessionsPerUser = 3 });
        using var raw = new Raw(xnat);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(await raw.Login());
        using var refused = await raw.Send(HttpMethod.Post, "/data/JSESSION", Raw.Basic("admin", "secret"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Empty(refused.Headers.WwwAuthenticate);
        Assert.Contains("maximum number of user sessions", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var held = await raw.Get(Listing, Raw.Basic("admin", "secret"), cookie: ids[0]);
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        // Ending one frees a place.
        using (await raw.Send(HttpMethod.Delete, "/data/JSESSION", cookie: ids[1])) { }
        Assert.Matches("^[0-9A-F]{32}$", await raw.Login());
    }

    [Fact]
    public async Task An_alias_token_works_as_Basic_credentials_until_it_expires()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        var id = await raw.Login();
        using var issued = await raw.Get("/data/services/tokens/issue", cookie: id);
        Assert.Equal("application/json", issued.Content.Headers.ContentType!.MediaType);
        using var doc = JsonDocument.Parse(await issued.Content.ReadAsStringAsync());
        var token = doc.RootElement;
        foreach (var name in new[] { "alias", "secret" }) Assert.Equal(JsonValueKind.String, token.GetProperty(name).ValueKind);
        foreach (var name in new[] { "id", "created", "timestamp", "disabled", "estimatedExpirationTime", "xdatUserId" })
            Assert.Equal(JsonValueKind.Number, token.GetProperty(name).ValueKind);
        Assert.False(token.GetProperty("singleUse").GetBoolean());
        Assert.True(token.GetProperty("enabled").GetBoolean());
        var life = token.GetProperty("estimatedExpirationTime").GetInt64() - token.GetProperty("created").GetInt64();
        Assert.Equal((long)TimeSpan.FromDays(2).TotalMilliseconds, life);
        var alias = token.GetProperty("alias").GetString()!;
        var secret = token.GetProperty("secret").GetString()!;
        Assert.Equal(64, secret.Length);

        using (var withToken = await raw.Send(HttpMethod.Post, "/data/JSESSION", Raw.Basic(alias, secret)))
        {
            Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
            Assert.Equal("User 'admin' is logged in", await raw.Text("/data/auth", await withToken.Content.ReadAsStringAsync()));
        }
        using (var unknown = await raw.Send(HttpMethod.Post, "/data/JSESSION", Raw.Basic(Guid.NewGuid().ToString(), secret)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, unknown.StatusCode);
            Assert.Contains("security token has expired or is invalid", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        xnat.Clock.Advance(TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1));
        using var expired = await raw.Send(HttpMethod.Post, "/data/JSESSION", Raw.Basic(alias, secret));
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
    }

    [Fact]
    public async Task Form_login_at_services_auth_returns_a_session_id()
    {
        await using var xnat = await Doubles.Start();
        using var raw = new Raw(xnat);
        using var http = new HttpClient { BaseAddress = xnat.BaseUri };
        using var ok = await http.PostAsync("/data/services/auth", new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "admin", ["password"] = "secret" }));
        var id = await ok.Content.ReadAsStringAsync();
        Assert.Matches("^[0-9A-F]{32}$", id);
        Assert.Equal("User 'admin' is logged in", await raw.Text("/data/auth", id));
        using var bad = await http.PostAsync("/data/services/auth", new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "admin", ["password"] = "no" }));
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
    }
}
