using HandiImaging.Dicom;
using HandiImaging.TestPeers;

namespace HandiImaging.Dicom.Tests.Integration;

/// <summary>The studies every integration test can rely on, loaded identically into both peers.</summary>
public static class KnownStudies
{
    public const string CallingAe = "HANDI";
    public const string MoveDestinationAe = "STORESCP";

    public static readonly TestStudy Doe2023 = new()
    {
        PatientId = "PID001", PatientName = "DOE^JOHN", StudyInstanceUid = TestStudy.UidFor("doe-2023"),
        StudyDate = new DateTime(2023, 3, 15), AccessionNumber = "ACC1001", StudyDescription = "CT HEAD", Modality = "CT",
    };

    public static readonly TestStudy Doe2024 = new()
    {
        PatientId = "PID001", PatientName = "DOE^JOHN", StudyInstanceUid = TestStudy.UidFor("doe-2024"),
        StudyDate = new DateTime(2024, 6, 1), AccessionNumber = "ACC1002", StudyDescription = "MR KNEE", Modality = "MR",
        SeriesCount = 2, InstancesPerSeries = 2,
    };

    public static readonly TestStudy MuellerLatin1 = new()
    {
        PatientId = "PID002", PatientName = "MÜLLER^JÖRG", StudyInstanceUid = TestStudy.UidFor("mueller-latin1"),
        StudyDate = new DateTime(2022, 12, 31), AccessionNumber = "ACC2001", StudyDescription = "Röntgen Thorax äöüß",
        CharacterSet = "ISO_IR 100",
    };

    public static readonly TestStudy NowakUtf8 = new()
    {
        PatientId = "PID003", PatientName = "ŁUKASIEWICZ^ŻANETA", StudyInstanceUid = TestStudy.UidFor("nowak-utf8"),
        StudyDate = new DateTime(2021, 7, 4), AccessionNumber = "ACC3001", StudyDescription = "Tomografia głowy — kontrola",
        CharacterSet = "ISO_IR 192",
    };

    public static IReadOnlyList<TestStudy> Named { get; } = new[] { Doe2023, Doe2024, MuellerLatin1, NowakUtf8 };

    /// <summary>Many studies of one patient, for long queries (cancellation).</summary>
    public static IReadOnlyList<TestStudy> Bulk { get; } =
        TestStudyGenerator.Generate(patientCount: 1, studyCount: 300, seed: 7, patientPrefix: "BULK");

    public static string BulkPatientId => Bulk[0].PatientId;
}

/// <summary>dcmqrscp and Orthanc loaded with <see cref="KnownStudies"/>, and storescp as their move destination.</summary>
public sealed class PeerFixture : IAsyncLifetime
{
    public StorescpPeer MoveDestination { get; private set; } = null!;
    public DcmqrscpPeer Dcmqrscp { get; private set; } = null!;
    public OrthancPeer Orthanc { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        MoveDestination = await StorescpPeer.StartAsync(KnownStudies.MoveDestinationAe);
        var destinations = new Dictionary<string, int> { [KnownStudies.MoveDestinationAe] = MoveDestination.Port };
        var dcmqrscp = StartDcmqrscpAsync(destinations);
        var orthanc = StartOrthancAsync(destinations);
        Dcmqrscp = await dcmqrscp;
        Orthanc = await orthanc;
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(
            Orthanc?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            Dcmqrscp?.DisposeAsync().AsTask() ?? Task.CompletedTask,
            MoveDestination?.DisposeAsync().AsTask() ?? Task.CompletedTask);
    }

    public DicomClientOptions Options(string peer, string callingAe = KnownStudies.CallingAe) => peer switch
    {
        "dcmqrscp" => Dcmqrscp.ClientOptions(callingAe),
        "orthanc" => Orthanc.ClientOptions(callingAe),
        _ => throw new ArgumentOutOfRangeException(nameof(peer)),
    } with
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AssociationTimeout = TimeSpan.FromSeconds(5),
        ResponseTimeout = TimeSpan.FromSeconds(10),
    };

    private static async Task<DcmqrscpPeer> StartDcmqrscpAsync(Dictionary<string, int> destinations)
    {
        var peer = await DcmqrscpPeer.StartAsync(KnownStudies.Named, new DcmqrscpPeerOptions
        {
            MoveDestinations = destinations,
            UseDump2Dcm = true,
        });
        await StoreScu.SendStudiesAsync(KnownStudies.Bulk, peer.Port, peer.AeTitle, useDump2Dcm: false);
        return peer;
    }

    private static async Task<OrthancPeer> StartOrthancAsync(Dictionary<string, int> destinations)
    {
        var peer = await OrthancPeer.StartAsync(KnownStudies.Named, new OrthancPeerOptions
        {
            Modalities = new Dictionary<string, int>(destinations) { [KnownStudies.CallingAe] = 104 },
            DefaultEncoding = "Utf8",
            UseDump2Dcm = true,
        });
        await StoreScu.SendStudiesAsync(KnownStudies.Bulk, peer.Port, peer.AeTitle, useDump2Dcm: false);
        return peer;
    }
}

[CollectionDefinition(Name)]
public sealed class PeerCollection : ICollectionFixture<PeerFixture>
{
    public const string Name = "Real DICOM peers";
}
