using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using HandiImaging.Dicom;

namespace HandiImaging.TestPeers;

/// <summary>Loads DICOM files into any storage SCP with one <c>storescu</c> process for a whole directory.</summary>
public static class StoreScu
{
    public static Task SendDirectoryAsync(string directory, int port, string calledAeTitle, int fileCount)
    {
        // Generous bound: a few ms per file on loopback, plus process start-up.
        var timeout = TimeSpan.FromSeconds(30 + fileCount / 50.0);
        return PeerProcess.RunAsync("storescu", new[]
        {
            "-aet", "LOADER", "-aec", calledAeTitle, "+sd", "+r", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), directory,
        }, timeout);
    }

    /// <summary>Writes the studies as Part-10 files in a scratch directory, sends them, and deletes the files.</summary>
    public static async Task SendStudiesAsync(IEnumerable<TestStudy> studies, int port, string calledAeTitle, bool useDump2Dcm)
    {
        using var scratch = new TempDirectory("handi-load-");
        var files = useDump2Dcm
            ? await TestStudyFiles.WriteWithDump2DcmAsync(studies, scratch.Path)
            : TestStudyFiles.WritePart10(studies, scratch.Path);
        if (files.Count > 0)
        {
            await SendDirectoryAsync(scratch.Path, port, calledAeTitle, files.Count);
        }
    }

    /// <summary>C-ECHO with echoscu until the peer answers; fails with the peer's log after <paramref name="timeout"/>.</summary>
    public static async Task WaitForEchoAsync(PeerProcess peer, int port, string calledAeTitle, TimeSpan timeout)
    {
        await peer.WaitForPortAsync(port, timeout);
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await PeerProcess.RunAsync("echoscu", new[] { "-aet", "LOADER", "-aec", calledAeTitle, "127.0.0.1", port.ToString(CultureInfo.InvariantCulture) }, timeout);
                return;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < until && !peer.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }
}

public sealed record DcmqrscpPeerOptions
{
    public string AeTitle { get; init; } = "QRSCP";
    /// <summary>Move destinations the peer knows: AE title → port on 127.0.0.1.</summary>
    public IReadOnlyDictionary<string, int> MoveDestinations { get; init; } = new Dictionary<string, int>();
    /// <summary>Generate the studies with dump2dcm rather than the C# Part-10 writer.</summary>
    public bool UseDump2Dcm { get; init; }
    public int MaxPduSize { get; init; } = 16384;
    public int MaxAssociations { get; init; } = 16;
    /// <summary>
    /// Further storage areas, each reached by its own called AE title. A storage area keeps at most
    /// <see cref="DcmqrscpPeer.MaxStudiesPerArea"/> studies, so many studies need many areas.
    /// </summary>
    public IReadOnlyList<string> MoreStorageAreas { get; init; } = Array.Empty<string>();
    /// <summary>
    /// Studies one storage area may hold. dcmqrscp's index silently lowers anything above 500 to 500 and then
    /// deletes the oldest studies, so more is refused here rather than lost quietly.
    /// </summary>
    public int MaxStudies { get; init; } = DcmqrscpPeer.MaxStudiesPerArea;
}

/// <summary>
/// dcmtk's dcmqrscp on a free port with its own storage directory. Typical use:
/// <c>await using var pacs = await DcmqrscpPeer.StartAsync(studies);</c> then connect to
/// 127.0.0.1:<see cref="Port"/> with called AE <see cref="AeTitle"/>.
/// </summary>
public sealed class DcmqrscpPeer : IAsyncDisposable
{
    /// <summary>The most studies dcmqrscp keeps in one storage area (a limit of its index format).</summary>
    public const int MaxStudiesPerArea = 500;

    private readonly TempDirectory _root;
    private readonly HashSet<string> _loaded = new(StringComparer.Ordinal);

    private DcmqrscpPeer(TempDirectory root, PeerProcess process, int port, DcmqrscpPeerOptions options)
    {
        _root = root;
        Process = process;
        Port = port;
        Options = options;
    }

    public string Host => "127.0.0.1";
    public int Port { get; }
    public string AeTitle => Options.AeTitle;
    public DcmqrscpPeerOptions Options { get; }
    public PeerProcess Process { get; }
    /// <summary>Where dcmqrscp keeps its files and index.dat.</summary>
    public string DataDirectory => Path.Combine(_root.Path, "data");

    public static async Task<DcmqrscpPeer> StartAsync(IEnumerable<TestStudy>? studies = null, DcmqrscpPeerOptions? options = null)
    {
        options ??= new DcmqrscpPeerOptions();
        if (options.MaxStudies is < 1 or > MaxStudiesPerArea)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxStudies, $"dcmqrscp keeps at most {MaxStudiesPerArea} studies in one storage area.");
        var root = new TempDirectory("handi-dcmqrscp-");
        try
        {
            var data = root.Sub("data");
            var port = FreePorts.Next();
            var config = Path.Combine(root.Path, "dcmqrscp.cfg");
            var areas = new List<(string AeTitle, string Directory)> { (options.AeTitle, data) };
            areas.AddRange(options.MoreStorageAreas.Select(ae => (ae, root.Sub("area-" + ae))));
            await File.WriteAllTextAsync(config, Config(options, port, areas));
            // Default fork mode: --single-process serves one association and exits.
            var process = PeerProcess.Start("dcmqrscp", new[] { "-c", config }, root.Path);
            var peer = new DcmqrscpPeer(root, process, port, options);
            try
            {
                await StoreScu.WaitForEchoAsync(process, port, options.AeTitle, TimeSpan.FromSeconds(20));
                if (studies != null)
                {
                    await peer.LoadAsync(studies);
                }
                return peer;
            }
            catch
            {
                await peer.DisposeAsync();
                throw;
            }
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }

    public Task LoadAsync(IEnumerable<TestStudy> studies)
    {
        var list = studies.ToList();
        foreach (var study in list) _loaded.Add(study.StudyInstanceUid);
        if (_loaded.Count > Options.MaxStudies)
            throw new InvalidOperationException($"dcmqrscp would silently drop studies: {_loaded.Count} loaded, at most {Options.MaxStudies} per storage area.");
        return StoreScu.SendStudiesAsync(list, Port, AeTitle, Options.UseDump2Dcm);
    }

    /// <summary>Client settings for this peer with the given calling AE title.</summary>
    public DicomClientOptions ClientOptions(string callingAeTitle = "HANDI") => new()
    {
        Host = Host,
        Port = Port,
        CalledAeTitle = AeTitle,
        CallingAeTitle = callingAeTitle,
    };

    /// <summary>PIDs of the forked children, each serving one association (to kill a peer mid-query).</summary>
    public IReadOnlyList<int> AssociationProcessIds() => PeerProcess.ChildProcessIds(Process.Pid);

    /// <summary>
    /// The forked child serving the connection whose client end is <paramref name="clientPort"/>: the one holding
    /// the socket that /proc/net/tcp lists from our port to it. Other associations' children, even ones still
    /// exiting, never match.
    /// </summary>
    public int AssociationProcessId(int clientPort)
    {
        var inode = PeerProcess.SocketInode(Port, clientPort)
            ?? throw new InvalidOperationException($"No TCP connection from 127.0.0.1:{clientPort} to port {Port} is listed in /proc/net/tcp.");
        return AssociationProcessIds().FirstOrDefault(pid => PeerProcess.HoldsSocket(pid, inode)) is var pid and > 0
            ? pid
            : throw new InvalidOperationException($"No dcmqrscp child holds the connection from port {clientPort}.");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var child in AssociationProcessIds())
        {
            PeerProcess.SendSignal(child, PosixSignalNumber.Kill);
        }
        await Process.DisposeAsync();
        _root.Dispose();
    }

    private static string Config(DcmqrscpPeerOptions options, int port, IEnumerable<(string AeTitle, string Directory)> areas)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"NetworkTCPPort = {port}\nMaxPDUSize = {options.MaxPduSize}\nMaxAssociations = {options.MaxAssociations}\n");
        text.Append("HostTable BEGIN\n");
        foreach (var (ae, destinationPort) in options.MoveDestinations)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Symbol(ae)} = ({ae}, 127.0.0.1, {destinationPort})\n");
        }
        text.Append("HostTable END\nVendorTable BEGIN\nVendorTable END\nAETable BEGIN\n");
        foreach (var (aeTitle, directory) in areas)
        {
            text.Append(CultureInfo.InvariantCulture, $"{aeTitle} {directory} RW ({options.MaxStudies}, 1024mb) ANY\n");
        }
        text.Append("AETable END\n");
        return text.ToString();
    }

    private static string Symbol(string aeTitle) => "ae_" + new string(aeTitle.ToLowerInvariant().Where(char.IsLetterOrDigit).ToArray());
}

public sealed record OrthancPeerOptions
{
    public string AeTitle { get; init; } = "ORTHANC";
    /// <summary>DICOM nodes Orthanc knows (callers and move destinations): AE title → port on 127.0.0.1. Unlisted callers are aborted.</summary>
    public IReadOnlyDictionary<string, int> Modalities { get; init; } = new Dictionary<string, int> { ["HANDI"] = 104 };
    /// <summary>Orthanc's C-FIND cap (0 = none); a capped answer ends with 0xFE00.</summary>
    public int LimitFindResults { get; init; }
    /// <summary>
    /// Orthanc answers C-FIND in this encoding whatever the query declares; its default "Latin1" silently drops
    /// characters outside Latin-1, so tests that need UTF-8 back use "Utf8".
    /// </summary>
    public string DefaultEncoding { get; init; } = "Latin1";
    public bool UseDump2Dcm { get; init; }
}

/// <summary>Orthanc (/usr/sbin/Orthanc) on free DICOM and HTTP ports, loopback only, no plugins, own storage.</summary>
public sealed class OrthancPeer : IAsyncDisposable
{
    private readonly TempDirectory _root;

    private OrthancPeer(TempDirectory root, PeerProcess process, int port, int httpPort, OrthancPeerOptions options)
    {
        _root = root;
        Process = process;
        Port = port;
        HttpPort = httpPort;
        Options = options;
    }

    public string Host => "127.0.0.1";
    public int Port { get; }
    public int HttpPort { get; }
    public string AeTitle => Options.AeTitle;
    public OrthancPeerOptions Options { get; }
    public PeerProcess Process { get; }
    public string DataDirectory => Path.Combine(_root.Path, "storage");

    public static async Task<OrthancPeer> StartAsync(IEnumerable<TestStudy>? studies = null, OrthancPeerOptions? options = null)
    {
        options ??= new OrthancPeerOptions();
        var root = new TempDirectory("handi-orthanc-");
        try
        {
            var port = FreePorts.Next();
            var httpPort = FreePorts.Next();
            var config = Path.Combine(root.Path, "orthanc.json");
            await File.WriteAllTextAsync(config, Config(options, root, port, httpPort));
            var process = PeerProcess.Start("/usr/sbin/Orthanc", new[] { config }, root.Path);
            var peer = new OrthancPeer(root, process, port, httpPort, options);
            try
            {
                await peer.WaitForHttpAsync(TimeSpan.FromSeconds(30));
                await process.WaitForPortAsync(port, TimeSpan.FromSeconds(10));
                if (studies != null)
                {
                    await peer.LoadAsync(studies);
                }
                return peer;
            }
            catch
            {
                await peer.DisposeAsync();
                throw;
            }
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }

    public Task LoadAsync(IEnumerable<TestStudy> studies) =>
        StoreScu.SendStudiesAsync(studies, Port, AeTitle, Options.UseDump2Dcm);

    public DicomClientOptions ClientOptions(string callingAeTitle = "HANDI") => new()
    {
        Host = Host,
        Port = Port,
        CalledAeTitle = AeTitle,
        CallingAeTitle = callingAeTitle,
    };

    public async ValueTask DisposeAsync()
    {
        // Orthanc needs ~3 s to stop on SIGTERM.
        await Process.StopAsync(TimeSpan.FromSeconds(10));
        await Process.DisposeAsync();
        _root.Dispose();
    }

    private async Task WaitForHttpAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"Orthanc exited before answering HTTP:\n{Process.Log}");
            }
            try
            {
                var response = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/system"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < until)
            {
            }
            catch (TaskCanceledException) when (DateTime.UtcNow < until)
            {
            }
            if (DateTime.UtcNow >= until)
            {
                throw new TimeoutException($"Orthanc did not answer HTTP on port {HttpPort} within {timeout.TotalSeconds} s:\n{Process.Log}");
            }
            await Task.Delay(100);
        }
    }

    private static string Config(OrthancPeerOptions options, TempDirectory root, int port, int httpPort)
    {
        var modalities = options.Modalities.ToDictionary(
            m => m.Key.ToLowerInvariant(), m => new object[] { m.Key, "127.0.0.1", m.Value });
        var config = new Dictionary<string, object>
        {
            ["Name"] = "HandiImagingTest",
            ["StorageDirectory"] = root.Sub("storage"),
            ["IndexDirectory"] = root.Sub("index"),
            ["Plugins"] = Array.Empty<string>(),
            ["HttpPort"] = httpPort,
            ["DicomPort"] = port,
            ["DicomAet"] = options.AeTitle,
            ["RemoteAccessAllowed"] = false,
            ["AuthenticationEnabled"] = false,
            ["DicomCheckCalledAet"] = true,
            ["DicomModalities"] = modalities,
            ["LimitFindResults"] = options.LimitFindResults,
            ["DefaultEncoding"] = options.DefaultEncoding,
            ["StorageCompression"] = false,
            ["SaveJobs"] = false,
        };
        return JsonSerializer.Serialize(config);
    }
}

/// <summary>dcmtk's storescp as a C-MOVE destination; received files land in <see cref="OutputDirectory"/>.</summary>
public sealed class StorescpPeer : IAsyncDisposable
{
    private readonly TempDirectory _root;

    private StorescpPeer(TempDirectory root, PeerProcess process, int port, string aeTitle)
    {
        _root = root;
        Process = process;
        Port = port;
        AeTitle = aeTitle;
    }

    public int Port { get; }
    public string AeTitle { get; }
    public PeerProcess Process { get; }
    public string OutputDirectory => Path.Combine(_root.Path, "received");

    /// <summary>SOP Instance UIDs of the files received so far (storescp names files after them).</summary>
    public IReadOnlyList<string> ReceivedFiles() => Directory.GetFiles(OutputDirectory);

    public static async Task<StorescpPeer> StartAsync(string aeTitle = "STORESCP")
    {
        var root = new TempDirectory("handi-storescp-");
        try
        {
            var output = root.Sub("received");
            var port = FreePorts.Next();
            var process = PeerProcess.Start("storescp", new[]
            {
                "-aet", aeTitle, "-od", output, port.ToString(CultureInfo.InvariantCulture),
            }, root.Path);
            var peer = new StorescpPeer(root, process, port, aeTitle);
            try
            {
                await StoreScu.WaitForEchoAsync(process, port, aeTitle, TimeSpan.FromSeconds(20));
                return peer;
            }
            catch
            {
                await peer.DisposeAsync();
                throw;
            }
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        _root.Dispose();
    }
}

/// <summary>A TCP listener that accepts connections and never sends a byte: proves every wait has a deadline.</summary>
public sealed class StalledPeer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly List<Socket> _accepted = new();
    private readonly Task _acceptLoop;

    private StalledPeer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static StalledPeer Start() => new();

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Stopping the listener ends the accept loop this way.
        }
        lock (_accepted)
        {
            foreach (var socket in _accepted)
            {
                socket.Dispose();
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            var socket = await _listener.AcceptSocketAsync();
            lock (_accepted)
            {
                _accepted.Add(socket);
            }
        }
    }
}
