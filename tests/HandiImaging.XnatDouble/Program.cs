using HandiImaging.XnatDouble;

// As a process (Pester, the demo): HandiImaging.XnatDouble.dll [--seed <file.json>] [--port <n>] [--exit-on-stdin-close]
// prints one line with its base URL and serves until killed (SIGTERM/SIGINT), or until its stdin closes when asked.
string? seedPath = null;
var port = 0;
var exitOnStdinClose = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--seed" when i + 1 < args.Length:
            seedPath = args[++i];
            break;
        case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], out var p):
            port = p;
            i++;
            break;
        case "--exit-on-stdin-close":
            exitOnStdinClose = true;
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: HandiImaging.XnatDouble [--seed <file.json>] [--port <n>] [--exit-on-stdin-close]");
            return 2;
    }
}

XnatSeed? seed = null;
if (seedPath is not null)
{
    try
    {
        seed = XnatSeed.Parse(await File.ReadAllTextAsync(seedPath), seedPath);
    }
    catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"Cannot read the seed {seedPath}: {e.Message}");
        return 2;
    }
}

await using var xnat = await XnatDouble.StartAsync(seed: seed, port: port);
Console.Out.WriteLine(xnat.BaseUri.ToString().TrimEnd('/'));
Console.Out.Flush();

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
if (exitOnStdinClose)
{
    // A parent that dies without killing us closes our stdin: stop then too, so no orphan keeps a port.
    _ = Task.Run(async () =>
    {
        try
        {
            while (await Console.In.ReadLineAsync(stop.Token) is not null) { }
            stop.Cancel();
        }
        catch (OperationCanceledException)
        {
        }
    });
}
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
return 0;
