using System.Globalization;
using System.Text;
using HandiImaging.TestPeers;

namespace HandiImaging.Bench.PacsQuery;

/// <summary>A peer loaded with the cohort, and which called AE title holds each patient's studies.</summary>
public interface IBenchPeer : IAsyncDisposable
{
    string Name { get; }
    string Host => "127.0.0.1";
    int Port { get; }
    int Pid { get; }
    string CalledAeFor(string patientId);
    /// <summary>Stores the cohort's files; returns what was done, for the output.</summary>
    Task<string> LoadAsync(CohortFiles files, CancellationToken cancellationToken);
}

/// <summary>
/// dcmqrscp with one storage area (AE title) per partition. A dcmqrscp storage area holds at most 500 studies
/// (DB_UpperMaxStudies, fixed in its index.dat format; a larger configured maximum is lowered to 500) and its
/// quota system silently deletes the oldest study beyond that, so ~30,000 studies need ~70 areas. Each patient's
/// studies live in one area, and each query is addressed to that area's AE title.
/// </summary>
public sealed class DcmqrscpAreas : IBenchPeer
{
    private readonly TempDirectory _root;
    private readonly PeerProcess _process;
    private readonly IReadOnlyDictionary<string, string> _aeByPatient;

    private DcmqrscpAreas(TempDirectory root, PeerProcess process, int port, IReadOnlyDictionary<string, string> aeByPatient)
    {
        _root = root;
        _process = process;
        Port = port;
        _aeByPatient = aeByPatient;
    }

    public string Name => "dcmqrscp";
    public int Port { get; }
    public int Pid => _process.Pid;
    public string CalledAeFor(string patientId) => _aeByPatient[patientId];

    public static async Task<DcmqrscpAreas> StartAsync(CohortFiles files)
    {
        var root = new TempDirectory("handi-pacsbench-dcmqrscp-");
        try
        {
            var port = FreePorts.Next();
            var config = new StringBuilder();
            config.Append(CultureInfo.InvariantCulture, $"NetworkTCPPort = {port}\nMaxPDUSize = 16384\nMaxAssociations = 64\n");
            config.Append("HostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\nAETable BEGIN\n");
            foreach (var area in files.Areas)
            {
                config.Append(CultureInfo.InvariantCulture, $"{area} {root.Sub(area)} RW (500, 1024mb) ANY\n");
            }
            config.Append("AETable END\n");
            var path = Path.Combine(root.Path, "dcmqrscp.cfg");
            await File.WriteAllTextAsync(path, config.ToString());
            var process = PeerProcess.Start("dcmqrscp", new[] { "-c", path }, root.Path);
            var peer = new DcmqrscpAreas(root, process, port, files.AreaByPatient);
            try
            {
                await StoreScu.WaitForEchoAsync(process, port, files.Areas[0], TimeSpan.FromSeconds(20));
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

    public async Task<string> LoadAsync(CohortFiles files, CancellationToken cancellationToken)
    {
        // Areas have their own index files, so two storescu at once do not contend (two cores).
        using var gate = new SemaphoreSlim(2);
        await Task.WhenAll(files.Areas.Select(async area =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                await StoreScu.SendDirectoryAsync(files.AreaDirectory(area), Port, area, files.FilesIn(area));
            }
            finally
            {
                gate.Release();
            }
        }));
        return $"{files.Areas.Count} storage areas (AE titles {files.Areas[0]}..{files.Areas[^1]}, at most {files.MaxStudiesPerArea} studies each), 2 storescu at a time";
    }

    public async ValueTask DisposeAsync()
    {
        // dcmqrscp forks a child per association; stop any still running, then the parent.
        foreach (var child in PeerProcess.ChildProcessIds(_process.Pid))
        {
            PeerProcess.SendSignal(child, PosixSignalNumber.Kill);
        }
        await _process.DisposeAsync();
        _root.Dispose();
    }
}

/// <summary>Orthanc (one AE, one SQLite index) holding the whole cohort.</summary>
public sealed class OrthancBenchPeer : IBenchPeer
{
    private readonly OrthancPeer _peer;

    private OrthancBenchPeer(OrthancPeer peer) => _peer = peer;

    public string Name => "orthanc";
    public int Port => _peer.Port;
    public int Pid => _peer.Process.Pid;
    public string CalledAeFor(string patientId) => _peer.AeTitle;

    public static async Task<OrthancBenchPeer> StartAsync(string callingAe) =>
        new(await OrthancPeer.StartAsync(options: new OrthancPeerOptions { Modalities = new Dictionary<string, int> { [callingAe] = 104 } }));

    public async Task<string> LoadAsync(CohortFiles files, CancellationToken cancellationToken)
    {
        // One index for everything: a second storescu would only queue behind the first.
        await StoreScu.SendDirectoryAsync(files.Root, Port, _peer.AeTitle, files.Count);
        return "one AE title, one storescu";
    }

    public ValueTask DisposeAsync() => _peer.DisposeAsync();
}

/// <summary>The cohort as Part-10 files, one directory per dcmqrscp storage area (patients never straddle areas).</summary>
public sealed class CohortFiles
{
    private readonly Dictionary<string, int> _filesPerArea = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _areaByPatient = new(StringComparer.Ordinal);
    private readonly List<string> _areas = new();

    public CohortFiles(Cohort cohort, string root, int maxStudiesPerArea = 450)
    {
        Root = root;
        MaxStudiesPerArea = maxStudiesPerArea;
        var area = "";
        var inArea = 0;
        foreach (var patient in cohort.Studies.GroupBy(s => s.PatientId))
        {
            var studies = patient.ToList();
            if (_areas.Count == 0 || inArea + studies.Count > maxStudiesPerArea)
            {
                area = "QR" + (_areas.Count + 1).ToString("D3", CultureInfo.InvariantCulture);
                _areas.Add(area);
                inArea = 0;
            }
            inArea += studies.Count;
            _areaByPatient[patient.Key] = area;
            _filesPerArea[area] = inArea;
            Count += TestStudyFiles.WritePart10(studies, AreaDirectory(area)).Count;
        }
    }

    public string Root { get; }
    public int Count { get; }
    public int MaxStudiesPerArea { get; }
    public IReadOnlyList<string> Areas => _areas;
    public IReadOnlyDictionary<string, string> AreaByPatient => _areaByPatient;
    public string AreaDirectory(string area) => Path.Combine(Root, area);
    public int FilesIn(string area) => _filesPerArea[area];
}
