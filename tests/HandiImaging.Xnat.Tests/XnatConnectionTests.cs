using System.Net;
using System.Net.Http;
using HandiImaging.Core.Xnat;
using HandiImaging.XnatDouble;

namespace HandiImaging.Xnat.Tests;

/// <summary>Login, session reuse, renewal and the authentication misbehaviours of xnat.md §1 and §5, against the double.</summary>
public class XnatConnectionTests
{
    [Fact]
    public async Task One_server_session_for_every_call_with_our_agent_and_credentials_sent_once()
    {
        await using var site = await Site.StartAsync();
        site.AddSession("xnat:mrSessionData", "ACC1", "9434765919", "1.2.1", 2);
        using var xnat = await site.ConnectAsync();
        Assert.Equal("admin", xnat.UserName);
        var lister = new XnatSessionLister(xnat);
        for (var i = 0; i < 5; i++) Assert.Single(lister.GetSessions(Site.Project, new[] { XnatSessionType.Get("MR") }, null, true, CancellationToken.None));
        Assert.Equal(1, site.State.SessionsCreatedFor("admin"));
        var recent = site.State.Requests.Recent;
        Assert.All(recent, r => Assert.StartsWith("HandiImaging/", r.UserAgent));
        Assert.Single(recent, r => r.HadBasicCredentials);
        Assert.All(recent.Where(r => !r.HadBasicCredentials), r => Assert.True(r.HadSessionCookie));
    }

    [Fact]
    public async Task Wrong_password_is_an_authentication_error_and_never_retried()
    {
        await using var site = await Site.StartAsync();
        var ex = await Assert.ThrowsAsync<XnatException>(() => site.ConnectAsync(password: "Not-The-Pa55word"));
        Assert.Equal(XnatErrorId.AuthenticationFailed, ex.ErrorId);
        Assert.Equal(401, ex.StatusCode);
        Assert.Equal(1, site.Count("POST /data/JSESSION"));
        Assert.DoesNotContain("Not-The-Pa55word", ex.Message);
        Assert.DoesNotContain(site.Log, l => l.Contains("Not-The-Pa55word") || l.Contains(Site.Password));
    }

    [Fact]
    public async Task Session_cap_reached_refuses_the_login_like_a_wrong_password()
    {
        await using var site = await Site.StartAsync(new XnatDoubleOptions { MaxSessionsPerUser = 2 });
        using var first = await site.ConnectAsync();
        using var second = await site.ConnectAsync();
        var ex = await Assert.ThrowsAsync<XnatException>(() => site.ConnectAsync());
        Assert.Equal(XnatErrorId.AuthenticationFailed, ex.ErrorId);
        Assert.Contains("maximum number of sessions", ex.Message);
    }

    [Fact]
    public async Task Expired_session_is_renewed_once_and_the_call_succeeds()
    {
        await using var site = await Site.StartAsync();
        site.AddSession("xnat:ctSessionData", "ACC2", "NN_H2", "1.2.2", 1);
        using var xnat = await site.ConnectAsync();
        site.Xnat.Clock.Advance(TimeSpan.FromMinutes(16));
        var sessions = new XnatSessionLister(xnat).GetSessions(Site.Project, new[] { XnatSessionType.Get("CT") }, null, false, CancellationToken.None).ToList();
        Assert.Single(sessions);
        Assert.Equal(2, xnat.LoginCount);
        Assert.Equal(2, site.Count("POST /data/JSESSION"));
    }

    [Fact]
    public async Task Sessions_killed_on_the_server_are_renewed_for_a_post_too()
    {
        await using var site = await Site.StartAsync();
        using var xnat = await site.ConnectAsync();
        site.State.ExpireAllSessions();
        var queue = await new DqrClient(xnat).GetQueueAsync(CancellationToken.None);
        Assert.Empty(queue);
        Assert.Equal(2, xnat.LoginCount);
    }

    [Fact]
    public async Task A_login_redirect_where_json_was_expected_is_an_authentication_error()
    {
        await using var site = await Site.StartAsync();
        using var browserAgent = new BrowserAgentHandler(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false });
        var options = site.Options();
        options.Handler = browserAgent;
        using var xnat = await XnatConnection.OpenAsync(options, CancellationToken.None);
        browserAgent.Enabled = true;
        var ex = Assert.Throws<XnatException>(() => new XnatSessionLister(xnat).GetStudyInstanceUids(Site.Project, CancellationToken.None));
        Assert.Equal(XnatErrorId.AuthenticationFailed, ex.ErrorId);
        // The redirect was taken for an expired session once: one renewal, then the error.
        Assert.Equal(2, site.Count("POST /data/JSESSION"));
        Assert.Equal(0, site.State.Requests.Recent.Count(r => r.Path.Contains("/experiments") && r.Status == 200));
    }

    [Fact]
    public async Task Alias_token_logs_in_as_its_owner_and_an_expired_one_is_refused()
    {
        await using var site = await Site.StartAsync();
        var token = site.State.IssueToken("admin", TimeSpan.FromMinutes(10));
        using (var xnat = await site.ConnectAsync(token.Alias, token.Secret)) Assert.Equal("admin", xnat.UserName);
        site.Xnat.Clock.Advance(TimeSpan.FromMinutes(11));
        var ex = await Assert.ThrowsAsync<XnatException>(() => site.ConnectAsync(token.Alias, token.Secret));
        Assert.Equal(XnatErrorId.AuthenticationFailed, ex.ErrorId);
        Assert.DoesNotContain(token.Secret, ex.Message);
    }

    [Fact]
    public async Task Close_ends_the_server_session()
    {
        await using var site = await Site.StartAsync();
        var xnat = await site.ConnectAsync();
        Assert.Single(site.State.LiveSessions(), s => s.Username == "admin");
        await xnat.CloseAsync(CancellationToken.None);
        Assert.False(xnat.IsConnected);
        Assert.DoesNotContain(site.State.LiveSessions(), s => s.Username == "admin");
        var ex = await Assert.ThrowsAsync<XnatException>(() => new DqrClient(xnat).GetQueueAsync(CancellationToken.None));
        Assert.Equal(XnatErrorId.NotConnected, ex.ErrorId);
    }

    [Fact]
    public async Task Keep_alive_touches_the_session_when_idle()
    {
        await using var site = await Site.StartAsync();
        var options = site.Options();
        options.KeepAliveInterval = TimeSpan.FromMilliseconds(200);
        using var xnat = await XnatConnection.OpenAsync(options, CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (site.Count("GET /data/JSESSION") == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(site.Count("GET /data/JSESSION") >= 1);
        Assert.Equal(1, site.State.SessionsCreatedFor("admin"));
    }

    [Fact]
    public async Task Server_error_with_html_is_retried_for_a_get_then_reported_with_status_and_message()
    {
        await using var site = await Site.StartAsync();
        using var xnat = await site.ConnectAsync();
        site.State.AddFault(new FaultRule { Method = "GET", PathPattern = "/xapi/dqr/import/queue$", Status = 500, Times = 2 });
        Assert.Empty(await new DqrClient(xnat).GetQueueAsync(CancellationToken.None));
        Assert.Equal(3, site.Count("GET /xapi/dqr/import/queue"));

        site.State.AddFault(new FaultRule { Method = "GET", PathPattern = "/xapi/dqr/import/queue$", Status = 503 });
        var ex = await Assert.ThrowsAsync<XnatException>(() => new DqrClient(xnat).GetQueueAsync(CancellationToken.None));
        Assert.Equal(XnatErrorId.ServerError, ex.ErrorId);
        Assert.Equal(503, ex.StatusCode);
        Assert.Contains("503", ex.Message);
        Assert.Equal(3 + 4, site.Count("GET /xapi/dqr/import/queue"));
    }

    [Fact]
    public async Task Slow_answers_time_out_each_call_and_gets_are_retried()
    {
        await using var site = await Site.StartAsync();
        var options = site.Options();
        options.Timeout = TimeSpan.FromSeconds(1);
        options.RetryCount = 1;
        // The first answers of a fresh process (JIT) can take longer than the short timeout tested here.
        using (await site.ConnectAsync()) { }
        site.State.Requests.Clear();
        using var xnat = await XnatConnection.OpenAsync(options, CancellationToken.None);
        site.State.AddFault(new FaultRule { Method = "GET", PathPattern = "/xapi/dqr/import/queue$", DelayMilliseconds = 4000 });
        var ex = await Assert.ThrowsAsync<XnatException>(() => new DqrClient(xnat).GetQueueAsync(CancellationToken.None));
        Assert.Equal(XnatErrorId.Timeout, ex.ErrorId);
        // The double logs a request when it ends, i.e. when the client's abort reaches it.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (site.Count("GET /xapi/dqr/import/queue") < 2 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(2, site.Count("GET /xapi/dqr/import/queue"));
    }

    [Fact]
    public async Task Unreachable_server_is_a_connection_error()
    {
        var options = new XnatConnectionOptions(new Uri("http://127.0.0.1:1/"), new NetworkCredential("a", "b")) { RetryCount = 0, Timeout = TimeSpan.FromSeconds(2) };
        var ex = await Assert.ThrowsAsync<XnatException>(() => XnatConnection.OpenAsync(options, CancellationToken.None));
        Assert.Equal(XnatErrorId.ConnectionFailed, ex.ErrorId);
    }

    /// <summary>Once enabled, sends a browser's User-Agent and drops credentials and cookies, as a misconfigured proxy would.</summary>
    private sealed class BrowserAgentHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public bool Enabled { get; set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Enabled)
            {
                request.Headers.Remove("User-Agent");
                request.Headers.Remove("Cookie");
                request.Headers.Authorization = null;
                request.Headers.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
