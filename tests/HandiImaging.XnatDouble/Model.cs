using System.Globalization;

namespace HandiImaging.XnatDouble;

/// <summary>An XNAT user account. Roles are XNAT's role names: <c>Dqr</c>, <c>Administrator</c>; <c>AllDataAccess</c> stands for the all-data-access group.</summary>
public sealed class XnatUser
{
    public required string Username { get; init; }
    public required string Password { get; set; }
    public HashSet<string> Roles { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Projects the user is a member of (read and edit). Administrators and AllDataAccess users see every project.</summary>
    public HashSet<string> Projects { get; init; } = new(StringComparer.Ordinal);
    public int Id { get; init; }
    public bool Enabled { get; set; } = true;
    internal int FailedLogins { get; set; }
    internal DateTimeOffset? LockedUntil { get; set; }

    public bool IsAdmin => Roles.Contains("Administrator");
    public bool HasAllDataAccess => IsAdmin || Roles.Contains("AllDataAccess");
    public bool CanUseDqr => IsAdmin || Roles.Contains("Dqr");
    public bool CanRead(XnatProject project) => HasAllDataAccess || Projects.Contains(project.Id) || project.Public;
    public bool CanEdit(XnatProject project) => HasAllDataAccess || Projects.Contains(project.Id);
}

public sealed class XnatProject
{
    public required string Id { get; init; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    /// <summary>Readable by the guest user and every user.</summary>
    public bool Public { get; set; }
    /// <summary>DQR may import into this project (DQR's per-project setting).</summary>
    public bool DqrEnabled { get; set; } = true;
    /// <summary>Received sessions are archived at once (prearchive code AutoArchive); otherwise they wait in the prearchive as READY.</summary>
    public bool AutoArchive { get; set; } = true;
}

public sealed class XnatScan
{
    public required string Id { get; init; }
    public string Type { get; set; } = "";
    public string SeriesDescription { get; set; } = "";
    public string Quality { get; set; } = "usable";
    public string Note { get; set; } = "";
    public string XsiType { get; set; } = "xnat:otherDicomScanData";
    public string Uid { get; set; } = "";
    public string Modality { get; set; } = "";
    public int? Frames { get; set; }
    /// <summary>The database key XNAT shows as <c>xnat_imagescandata_id</c>.</summary>
    internal int Key { get; set; }
}

/// <summary>A share of an experiment into another project, under that project's labels.</summary>
public sealed record XnatShare(string Project, string Label, string SubjectLabel);

/// <summary>An image session (an XNAT experiment of an image-session type).</summary>
public sealed class XnatExperiment
{
    /// <summary>The accession number XNAT assigns (<c>XNAT_E00001</c>); given by the seed or assigned when added.</summary>
    public string Id { get; set; } = "";
    public required string Project { get; init; }
    public required string Label { get; set; }
    public required string SubjectLabel { get; set; }
    public string SubjectId { get; set; } = "";
    public string XsiType { get; set; } = "xnat:mrSessionData";
    public DateOnly? Date { get; set; }
    public string Time { get; set; } = "";
    public string Uid { get; set; } = "";
    public string Scanner { get; set; } = "";
    public string Modality { get; set; } = "";
    public string AccessionNumber { get; set; } = "";
    public string DcmPatientId { get; set; } = "";
    public string DcmPatientName { get; set; } = "";
    public string StudyId { get; set; } = "";
    public string InsertUser { get; set; } = "admin";
    public DateTime InsertDate { get; set; } = new(2024, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    public DateTime? LastModified { get; set; }
    public List<XnatScan> Scans { get; init; } = new();
    public List<XnatShare> Shares { get; init; } = new();
}

/// <summary>A row of the prearchive.</summary>
public sealed class PrearchiveEntry
{
    public required string Project { get; init; }
    public required string Timestamp { get; init; }
    public required string FolderName { get; init; }
    public string Subject { get; init; } = "";
    public string Name { get; init; } = "";
    /// <summary>The StudyInstanceUID.</summary>
    public string Tag { get; init; } = "";
    public string Status { get; set; } = "READY";
    public DateTime Uploaded { get; init; }
    public DateTime LastModified { get; set; }
    public DateOnly? ScanDate { get; init; }
    public string ScanTime { get; init; } = "";
    public string Url => $"/prearchive/projects/{Project}/{Timestamp}/{FolderName}";
}

/// <summary>A user-facing alias token (<c>/data/services/tokens/issue</c>).</summary>
public sealed class AliasToken
{
    public required long Id { get; init; }
    public required string Alias { get; init; }
    public required string Secret { get; init; }
    public required string Username { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset Expires { get; set; }
}

/// <summary>A server-side HTTP session (Tomcat's, keyed by the JSESSIONID cookie).</summary>
public sealed class ServerSession
{
    public required string Id { get; init; }
    /// <summary>The authenticated user, <c>guest</c>, or null for an anonymous session nobody logged into.</summary>
    public string? Username { get; set; }
    public required DateTimeOffset Created { get; init; }
    public DateTimeOffset LastAccessed { get; set; }
    public int Requests { get; set; }
    public bool IsExpired(DateTimeOffset now, TimeSpan timeout) => now - LastAccessed > timeout;
}

/// <summary>A DICOM receiver (SCP) of the XNAT site, which DQR sends its C-MOVEs to.</summary>
public sealed class XnatReceiver
{
    public string AeTitle { get; init; } = "XNAT";
    public int Port { get; init; } = 8104;
    public bool Enabled { get; set; } = true;
    /// <summary>Custom processing on: archive processors run, so relabelling and DQR's RECEIVED status work.</summary>
    public bool CustomProcessing { get; set; } = true;
}

/// <summary>A PACS known to DQR. Its studies come either from a real DICOM peer (C-FIND) or from <see cref="Studies"/>.</summary>
public sealed class PacsEntry
{
    public required long Id { get; init; }
    public required string AeTitle { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 104;
    public string Label { get; init; } = "";
    public bool Queryable { get; set; } = true;
    public bool Storable { get; set; } = true;
    public bool DefaultQueryRetrievePacs { get; set; }
    public bool DefaultStoragePacs { get; set; }
    /// <summary>The AE title XNAT calls the PACS with.</summary>
    public string CallingAeTitle { get; init; } = "XNAT";
    /// <summary>Seeded studies: when set, no DICOM is spoken and these are the PACS's content.</summary>
    public List<SeededStudy>? Studies { get; init; }
    public DateTimeOffset Created { get; init; }
}

/// <summary>A study of a seeded PACS.</summary>
public sealed class SeededStudy
{
    public required string StudyInstanceUid { get; init; }
    public string PatientId { get; init; } = "";
    /// <summary>DICOM form, <c>LAST^FIRST</c>.</summary>
    public string PatientName { get; init; } = "";
    public string PatientSex { get; init; } = "";
    /// <summary><c>yyyyMMdd</c>.</summary>
    public string StudyDate { get; init; } = "";
    public string StudyTime { get; init; } = "";
    public string AccessionNumber { get; init; } = "";
    public string StudyDescription { get; init; } = "";
    public string StudyId { get; init; } = "";
    public string ReferringPhysicianName { get; init; } = "";
    public List<SeededSeries> Series { get; init; } = new();
}

public sealed class SeededSeries
{
    public required string SeriesInstanceUid { get; init; }
    public string SeriesNumber { get; init; } = "";
    public string Modality { get; init; } = "OT";
    public string SeriesDescription { get; init; } = "";
    public int Instances { get; init; } = 1;
}

/// <summary>Session types by modality, and the matching scan types.</summary>
public static class XnatTypes
{
    private static readonly Dictionary<string, string> SessionByModality = new(StringComparer.OrdinalIgnoreCase)
    {
        ["MR"] = "xnat:mrSessionData", ["CT"] = "xnat:ctSessionData", ["PT"] = "xnat:petSessionData",
        ["CR"] = "xnat:crSessionData", ["DX"] = "xnat:dxSessionData", ["RF"] = "xnat:rfSessionData",
        ["SR"] = "xnat:srSessionData", ["XA"] = "xnat:xaSessionData", ["NM"] = "xnat:nmSessionData",
        ["US"] = "xnat:usSessionData", ["MG"] = "xnat:mgSessionData",
    };

    /// <summary>Element names with their plural and singular display names (as <c>/data/search/elements</c> shows them).</summary>
    public static readonly (string Element, string Singular, string Plural)[] SessionElements =
    {
        ("xnat:mrSessionData", "MR Session", "MR Sessions"), ("xnat:ctSessionData", "CT Session", "CT Sessions"),
        ("xnat:petSessionData", "PET Session", "PET Sessions"), ("xnat:petmrSessionData", "PET MR Session", "PET MR Sessions"),
        ("xnat:crSessionData", "CR Session", "CR Sessions"), ("xnat:dxSessionData", "DX Session", "DX Sessions"),
        ("xnat:rfSessionData", "RF Session", "RF Sessions"), ("xnat:srSessionData", "SR Session", "SR Sessions"),
        ("xnat:xaSessionData", "XA Session", "XA Sessions"), ("xnat:nmSessionData", "NM Session", "NM Sessions"),
        ("xnat:usSessionData", "US Session", "US Sessions"), ("xnat:mgSessionData", "MG Session", "MG Sessions"),
        ("xnat:otherDicomSessionData", "Other DICOM Session", "Other DICOM Sessions"),
    };

    public static string SessionTypeFor(IEnumerable<string> modalities)
    {
        // An SR series beside images does not make the session an SR session.
        foreach (var modality in modalities)
        {
            if (modality != "SR" && SessionByModality.TryGetValue(modality, out var type))
                return type;
        }
        foreach (var modality in modalities)
        {
            if (SessionByModality.TryGetValue(modality, out var type))
                return type;
        }
        return "xnat:otherDicomSessionData";
    }

    public static string ScanTypeFor(string modality) =>
        SessionByModality.TryGetValue(modality, out var session) ? session.Replace("SessionData", "ScanData", StringComparison.Ordinal) : "xnat:otherDicomScanData";

    /// <summary>
    /// Whether an experiment of type <paramref name="xsiType"/> is an instance of element <paramref name="root"/>
    /// (case-insensitive, as XNAT resolves element names). PET-MR extends PET (inferred from xnat.xsd).
    /// </summary>
    public static bool IsInstanceOf(string xsiType, string root)
    {
        if (string.Equals(xsiType, root, StringComparison.OrdinalIgnoreCase)) return true;
        var r = root.ToLowerInvariant();
        return r switch
        {
            "xnat:experimentdata" or "xnat:subjectassessordata" or "xnat:imagesessiondata" => true,
            "xnat:petsessiondata" => string.Equals(xsiType, "xnat:petmrSessionData", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
    }

    /// <summary>Known element names (lower-cased) that can be a listing's root.</summary>
    public static bool IsKnownElement(string name)
    {
        var n = name.ToLowerInvariant();
        return n is "xnat:experimentdata" or "xnat:subjectassessordata" or "xnat:imagesessiondata"
            || SessionElements.Any(e => e.Element.ToLowerInvariant() == n);
    }

    public static string Timestamp(DateTime value) =>
        // java.sql.Timestamp.toString(): fractional seconds without trailing zeros, at least ".0".
        value.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "." +
        (value.Ticks % TimeSpan.TicksPerSecond / 10_000).ToString("D3", CultureInfo.InvariantCulture).TrimEnd('0').PadRight(1, '0');
}
