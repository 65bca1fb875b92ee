using System.Globalization;
using HandiImaging.Dicom;

namespace HandiImaging.XnatDouble.Dqr;

/// <summary>What DQR's study query asks (PacsSearchCriteria), dates already parsed.</summary>
public sealed record StudyCriteria
{
    public string? PatientId { get; init; }
    public string? PatientName { get; init; }
    public string? StudyInstanceUid { get; init; }
    public string? AccessionNumber { get; init; }
    public string? Modality { get; init; }
    public DateOnly? From { get; init; }
    public DateOnly? To { get; init; }
}

/// <summary>A study as the PACS answered (DICOM values, PN in DICOM form).</summary>
public sealed record FoundStudy
{
    public string StudyInstanceUid { get; init; } = "";
    public string StudyId { get; init; } = "";
    public string StudyDescription { get; init; } = "";
    public string AccessionNumber { get; init; } = "";
    /// <summary><c>yyyyMMdd</c> as the PACS sent it.</summary>
    public string StudyDate { get; init; } = "";
    public string StudyTime { get; init; } = "";
    public IReadOnlyList<string> ModalitiesInStudy { get; init; } = Array.Empty<string>();
    public string ReferringPhysicianName { get; init; } = "";
    public string PatientId { get; init; } = "";
    public string PatientName { get; init; } = "";
    public string PatientSex { get; init; } = "";
}

public sealed record FoundSeries(string SeriesInstanceUid, string SeriesNumber, string Modality, string SeriesDescription, int? Instances);

/// <summary>
/// DQR's view of a PACS: C-ECHO, study and series C-FIND with our own DICOM client against a real peer, or the
/// same answers from seeded studies when the entry has <see cref="PacsEntry.Studies"/>.
/// </summary>
internal static class PacsSide
{
    private static DicomClientOptions Options(PacsEntry pacs) => new()
    {
        Host = pacs.Host,
        Port = pacs.Port,
        CalledAeTitle = pacs.AeTitle,
        CallingAeTitle = pacs.CallingAeTitle,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AssociationTimeout = TimeSpan.FromSeconds(10),
        ResponseTimeout = TimeSpan.FromSeconds(30),
    };

    public static async Task<bool> EchoAsync(PacsEntry pacs, CancellationToken ct)
    {
        if (pacs.Studies is not null) return true;
        try
        {
            return (await DicomClient.EchoAsync(Options(pacs), ct)).IsSuccess;
        }
        catch (DicomException)
        {
            return false;
        }
    }

    public static async Task<List<FoundStudy>> FindStudiesAsync(PacsEntry pacs, StudyCriteria criteria, CancellationToken ct)
    {
        if (pacs.Studies is { } seeded)
        {
            return seeded.Where(s => Matches(s, criteria)).Select(ToFound).ToList();
        }
        var identifier = new DicomDataset()
            .Set(DicomTags.QueryRetrieveLevel, "STUDY")
            .Set(DicomTags.SpecificCharacterSet, "ISO_IR 192")
            .Set(DicomTags.PatientId, criteria.PatientId ?? "")
            .Set(DicomTags.PatientName, criteria.PatientName ?? "")
            .Set(DicomTags.PatientSex, "")
            .Set(DicomTags.StudyDate, DateRange(criteria.From, criteria.To))
            .Set(DicomTags.StudyTime, "")
            .Set(DicomTags.AccessionNumber, criteria.AccessionNumber ?? "")
            .Set(DicomTags.StudyDescription, "")
            .Set(DicomTags.StudyInstanceUid, criteria.StudyInstanceUid ?? "")
            .Set(DicomTags.StudyId, "")
            .Set(DicomTags.ModalitiesInStudy, criteria.Modality ?? "")
            .Set(DicomTags.ReferringPhysicianName, "");
        var found = new List<FoundStudy>();
        await using var association = await DicomAssociation.OpenAsync(Options(pacs), DicomServices.StudyRootFind, ct);
        var find = association.Find(QueryRetrieveModel.StudyRoot, identifier);
        await foreach (var match in find.WithCancellation(ct))
        {
            found.Add(new FoundStudy
            {
                StudyInstanceUid = match.GetString(DicomTags.StudyInstanceUid) ?? "",
                StudyId = match.GetString(DicomTags.StudyId) ?? "",
                StudyDescription = match.GetString(DicomTags.StudyDescription) ?? "",
                AccessionNumber = match.GetString(DicomTags.AccessionNumber) ?? "",
                StudyDate = match.GetString(DicomTags.StudyDate) ?? "",
                StudyTime = match.GetString(DicomTags.StudyTime) ?? "",
                ModalitiesInStudy = match.GetStrings(DicomTags.ModalitiesInStudy).Where(m => m.Length > 0).ToArray(),
                ReferringPhysicianName = match.GetString(DicomTags.ReferringPhysicianName) ?? "",
                PatientId = match.GetString(DicomTags.PatientId) ?? "",
                PatientName = match.GetString(DicomTags.PatientName) ?? "",
                PatientSex = match.GetString(DicomTags.PatientSex) ?? "",
            });
        }
        if (association.IsUsable) await association.ReleaseAsync(ct);
        return found;
    }

    public static async Task<List<FoundSeries>> FindSeriesAsync(PacsEntry pacs, string studyInstanceUid, CancellationToken ct)
    {
        if (pacs.Studies is { } seeded)
        {
            return seeded.Where(s => s.StudyInstanceUid == studyInstanceUid)
                .SelectMany(s => s.Series)
                .Select(s => new FoundSeries(s.SeriesInstanceUid, s.SeriesNumber, s.Modality, s.SeriesDescription, s.Instances))
                .ToList();
        }
        var identifier = new DicomDataset()
            .Set(DicomTags.QueryRetrieveLevel, "SERIES")
            .Set(DicomTags.SpecificCharacterSet, "ISO_IR 192")
            .Set(DicomTags.StudyInstanceUid, studyInstanceUid)
            .Set(DicomTags.SeriesInstanceUid, "")
            .Set(DicomTags.SeriesNumber, "")
            .Set(DicomTags.Modality, "")
            .Set(DicomTags.SeriesDescription, "")
            .Set(DicomTags.NumberOfSeriesRelatedInstances, "");
        var found = new List<FoundSeries>();
        await using var association = await DicomAssociation.OpenAsync(Options(pacs), DicomServices.StudyRootFind, ct);
        var find = association.Find(QueryRetrieveModel.StudyRoot, identifier);
        await foreach (var match in find.WithCancellation(ct))
        {
            found.Add(new FoundSeries(
                match.GetString(DicomTags.SeriesInstanceUid) ?? "",
                match.GetString(DicomTags.SeriesNumber) ?? "",
                match.GetString(DicomTags.Modality) ?? "",
                match.GetString(DicomTags.SeriesDescription) ?? "",
                match.GetInt32(DicomTags.NumberOfSeriesRelatedInstances)));
        }
        if (association.IsUsable) await association.ReleaseAsync(ct);
        return found;
    }

    private static string DateRange(DateOnly? from, DateOnly? to)
    {
        if (from is null && to is null) return "";
        var f = from?.ToString("yyyyMMdd", CultureInfo.InvariantCulture) ?? "";
        var t = to?.ToString("yyyyMMdd", CultureInfo.InvariantCulture) ?? "";
        return f == t ? f : f + "-" + t;
    }

    private static bool Matches(SeededStudy s, StudyCriteria c)
    {
        if (!Matches(s.PatientId, c.PatientId) || !Matches(s.AccessionNumber, c.AccessionNumber) || !Matches(s.PatientName, c.PatientName)) return false;
        if (!string.IsNullOrEmpty(c.StudyInstanceUid) && !c.StudyInstanceUid.Split('\\').Contains(s.StudyInstanceUid)) return false;
        if (!string.IsNullOrEmpty(c.Modality) && !s.Series.Any(x => string.Equals(x.Modality, c.Modality, StringComparison.OrdinalIgnoreCase))) return false;
        if (c.From is not null || c.To is not null)
        {
            if (!DateOnly.TryParseExact(s.StudyDate, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) return false;
            if (c.From is { } f && date < f) return false;
            if (c.To is { } t && date > t) return false;
        }
        return true;
    }

    /// <summary>DICOM matching of a single value: empty = universal, <c>*</c>/<c>?</c> wildcards, else exact.</summary>
    private static bool Matches(string value, string? key)
    {
        if (string.IsNullOrEmpty(key)) return true;
        if (key.Contains('*') || key.Contains('?'))
        {
            var pattern = "^" + System.Text.RegularExpressions.Regex.Escape(key).Replace("\\*", ".*").Replace("\\?", ".") + "$";
            return System.Text.RegularExpressions.Regex.IsMatch(value, pattern);
        }
        return value == key;
    }

    private static FoundStudy ToFound(SeededStudy s) => new()
    {
        StudyInstanceUid = s.StudyInstanceUid,
        StudyId = s.StudyId,
        StudyDescription = s.StudyDescription,
        AccessionNumber = s.AccessionNumber,
        StudyDate = s.StudyDate,
        StudyTime = s.StudyTime,
        ModalitiesInStudy = s.Series.Select(x => x.Modality).Where(m => m.Length > 0).Distinct().ToArray(),
        ReferringPhysicianName = s.ReferringPhysicianName,
        PatientId = s.PatientId,
        PatientName = s.PatientName,
        PatientSex = s.PatientSex,
    };
}
