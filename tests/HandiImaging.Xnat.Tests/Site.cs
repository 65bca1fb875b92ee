using System.Collections.Concurrent;
using System.Net;
using HandiImaging.Core.Xnat;
using HandiImaging.XnatDouble;

namespace HandiImaging.Xnat.Tests;

/// <summary>The XNAT test double in-process, with the project, users and (seeded) PACS the tests use.</summary>
internal sealed class Site : IAsyncDisposable
{
    public const string Project = "RT-HaND";
    public const string Password = "Pa55-w0rd:with colon";

    private Site(XnatDouble.XnatDouble xnat) => Xnat = xnat;

    public XnatDouble.XnatDouble Xnat { get; }
    public XnatState State => Xnat.State;
    public ConcurrentQueue<string> Log { get; } = new();

    public static async Task<Site> StartAsync(XnatDoubleOptions? options = null)
    {
        var site = new Site(await XnatDouble.XnatDouble.StartAsync(options));
        site.State.AddProject(Project);
        site.State.AddUser("admin", Password, roles: new[] { "Administrator", "Dqr" });
        site.State.AddUser("clinician", Password, projects: new[] { Project });
        return site;
    }

    public XnatConnectionOptions Options(string user = "admin", string password = Password) =>
        new(Xnat.BaseUri, new NetworkCredential(user, password))
        {
            Timeout = TimeSpan.FromSeconds(5),
            RetryDelay = TimeSpan.FromMilliseconds(20),
            KeepAliveInterval = TimeSpan.Zero,
            Log = Log.Enqueue,
        };

    public Task<XnatConnection> ConnectAsync(string user = "admin", string password = Password) =>
        XnatConnection.OpenAsync(Options(user, password), CancellationToken.None);

    public XnatExperiment AddSession(string type, string label, string subject, string uid, int scans, DateOnly? date = null, string project = Project) =>
        State.AddExperiment(new XnatExperiment
        {
            Project = project,
            Label = label,
            SubjectLabel = subject,
            XsiType = type,
            Date = date ?? new DateOnly(2024, 2, 3),
            Uid = uid,
            Scanner = "Avanto",
            Modality = type == "xnat:mrSessionData" ? "MR" : "CT",
            AccessionNumber = label,
            InsertUser = "admin",
            Scans = Enumerable.Range(1, scans).Select(i => new XnatScan { Id = i.ToString(), Type = "T" + i }).ToList(),
        });

    /// <summary>A seeded PACS (no DICOM) with these studies, each with <paramref name="seriesPerStudy"/> series.</summary>
    public void AddPacs(IEnumerable<(string Uid, string PatientId, string Accession)> studies, int seriesPerStudy = 2) =>
        State.AddPacs(new PacsEntry
        {
            Id = 1,
            AeTitle = "PACS",
            DefaultQueryRetrievePacs = true,
            Studies = studies.Select(s => new SeededStudy
            {
                StudyInstanceUid = s.Uid,
                PatientId = s.PatientId,
                PatientName = "TEST^" + s.PatientId,
                StudyDate = "20240301",
                AccessionNumber = s.Accession,
                StudyDescription = "CT NECK",
                Series = Enumerable.Range(1, seriesPerStudy).Select(i => new SeededSeries { SeriesInstanceUid = s.Uid + "." + i, SeriesNumber = i.ToString(), Modality = "CT", SeriesDescription = "AX " + i }).ToList(),
            }).ToList(),
        });

    public int Count(string endpoint) => State.Requests.Count(endpoint);

    public ValueTask DisposeAsync() => Xnat.DisposeAsync();
}
