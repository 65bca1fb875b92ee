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
/// dcmqrscp with one storage area (AE title) per partition: an area keeps at most 500 studies (a limit of its
/// index format; beyond it the oldest are silently deleted), so ~30,000 studies need ~70 areas. Each patient's
/// studies live in one area, and each query is addressed to that area's AE title.
/// </summary>
public sealed class DcmqrscpAreas : IBenchPeer
{
    private readonly DcmqrscpPeer _peer;
    private readonly IReadOnlyDictionary<string, string> _aeByPatient;

    private DcmqrscpAreas(DcmqrscpPeer peer, IReadOnlyDictionary<string, string> aeByPatient)
    {
        _peer = peer;
        _aeByPatient = aeByPatient;
    }

    public string Name => "dcmqrscp";
    public int Port => _peer.Port;
    public int Pid => _peer.Process.Pid;
    public string CalledAeFor(string patientId) => _aeByPatient[patientId];

    public static async Task<DcmqrscpAreas> StartAsync(CohortFiles files) =>
        new(await DcmqrscpPeer.StartAsync(options: new DcmqrscpPeerOptions
        {
            AeTitle = files.Areas[0],
            MoreStorageAreas = files.Areas.Skip(1).ToList(),
            MaxAssociations = 64,
        }), files.AreaByPatient);

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

    public ValueTask DisposeAsync() => _peer.DisposeAsync();
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
