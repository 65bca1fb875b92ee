using System.Globalization;
using System.Net;
using HandiImaging.XnatDouble.Dqr;
using HandiImaging.XnatDouble.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace HandiImaging.XnatDouble;

/// <summary>
/// A test double of XNAT 1.8 with the DQR 2.x plugin on 127.0.0.1 and a free port. Typical use:
/// <code>
/// await using var xnat = await XnatDouble.StartAsync();
/// xnat.State.AddProject("RT-HaND"); xnat.State.AddUser("admin", "secret", new[] { "Administrator", "Dqr" });
/// var http = new HttpClient { BaseAddress = xnat.BaseUri };
/// </code>
/// </summary>
public sealed class XnatDouble : IAsyncDisposable
{
    private readonly WebApplication _app;

    private XnatDouble(WebApplication app, XnatState state, DqrEngine dqr, Uri baseUri)
    {
        _app = app;
        State = state;
        Dqr = dqr;
        BaseUri = baseUri;
    }

    /// <summary>e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUri { get; }
    public XnatState State { get; }
    /// <summary>The DQR dequeuer: step it by hand (manual mode, the default) or let its timer run (automatic).</summary>
    public DqrEngine Dqr { get; }
    public DoubleClock Clock => State.Clock;

    public static async Task<XnatDouble> StartAsync(XnatDoubleOptions? options = null, XnatSeed? seed = null, int port = 0)
    {
        options ??= new XnatDoubleOptions();
        seed?.ApplyOptions(options);
        var state = new XnatState(options, new DoubleClock());
        seed?.ApplyData(state);
        var dqr = new DqrEngine(state);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port);
        });
        var app = builder.Build();
        app.UseRouting();
        app.Use((context, next) => Pipeline(context, next, state));
        DataEndpoints.Map(app, state);
        DqrEndpoints.Map(app, state, dqr);
        ControlEndpoints.Map(app, state, dqr);
        app.MapGet("/app/template/Login.vm", (HttpContext c) => Responses.WriteText(c, Responses.LoginPage, "text/html;charset=UTF-8"));
        app.MapFallback("/data/{**rest}", (HttpContext c) => Responses.WriteRestletError(c, 404, "The server has not found anything matching the request URI"));
        app.MapFallback("/REST/{**rest}", (HttpContext c) => Responses.WriteRestletError(c, 404, "The server has not found anything matching the request URI"));
        app.MapFallback("/xapi/{**rest}", (HttpContext c) => Responses.WriteXapiError(c, 404, "No handler found for " + c.Request.Method + " " + c.Request.Path));

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var actualPort = new Uri(address).Port;
        var baseUri = new Uri($"http://127.0.0.1:{actualPort.ToString(CultureInfo.InvariantCulture)}/");
        dqr.Start();
        return new XnatDouble(app, state, dqr, baseUri);
    }

    private static bool IsXnatPath(string path) =>
        path.StartsWith("/data/", StringComparison.Ordinal) || path.StartsWith("/REST/", StringComparison.Ordinal) || path.StartsWith("/xapi/", StringComparison.Ordinal);

    /// <summary>Counting, faults, the SESSION_EXPIRATION_TIME cookie and authentication, for every XNAT path.</summary>
    private static async Task Pipeline(HttpContext context, RequestDelegate next, XnatState state)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        if (!IsXnatPath(path))
        {
            await next(context);
            return;
        }
        var endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } pattern && !pattern.Contains("**", StringComparison.Ordinal)
            ? request.Method + " " + pattern
            : request.Method + " " + path;
        context.Response.OnStarting(() =>
        {
            // XnatExpiredPasswordFilter: every response carries a second cookie.
            var now = state.Clock.NowMilliseconds.ToString(CultureInfo.InvariantCulture);
            var timeout = ((long)state.Options.SessionTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
            context.Response.Headers.Append("Set-Cookie", $"SESSION_EXPIRATION_TIME=\"{now},{timeout}\"; Version=1; Path=/");
            return Task.CompletedTask;
        });
        var hadCookie = request.Cookies.ContainsKey(Authentication.CookieName);
        var hadBasic = request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);
        string? user = null;
        try
        {
            FaultRule? fault = null;
            lock (state.Sync)
            {
                fault = state.FaultRules.FirstOrDefault(f => f.Matches(request.Method, path) && (f.Times is null || f.Applied < f.Times));
                if (fault is not null) fault.Applied++;
            }
            if (fault is { DelayMilliseconds: > 0 })
            {
                await Task.Delay(fault.DelayMilliseconds, context.RequestAborted);
            }
            if (fault is { Status: > 0 })
            {
                await Responses.WriteHtmlError(context, fault.Status, null);
                return;
            }
            if (!await Authentication.AuthenticateAsync(context, state)) return;
            user = context.GetCaller().User.Username;
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up (its timeout): nothing to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            // What Tomcat does with an exception no layer handled: a 500 error page. Told on stderr, for whoever debugs the test.
            Console.Error.WriteLine($"XNAT double: {request.Method} {path} failed: {e}");
            context.Response.Clear();
            await Responses.WriteHtmlError(context, 500, e.GetType().FullName + ": " + e.Message);
        }
        finally
        {
            state.Requests.Add(new RequestRecord(request.Method, path, request.QueryString.Value ?? "", endpoint, context.Response.StatusCode,
                user, hadCookie, hadBasic, request.Headers.UserAgent.ToString(), state.Clock.Now));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Dqr.DisposeAsync();
        await _app.StopAsync(TimeSpan.FromSeconds(5));
        await _app.DisposeAsync();
    }
}
