using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using HandiImaging.Dicom;

namespace HandiImaging.TestPeers;

/// <summary>
/// A Secondary Capture study to load into a peer: one or more series of tiny 8×8 images. Text in
/// <see cref="CharacterSet"/> "ISO_IR 100" is written as Latin-1, "ISO_IR 192" as UTF-8, null as ASCII.
/// </summary>
public sealed record TestStudy
{
    public required string PatientId { get; init; }
    public string PatientName { get; init; } = "";
    public required string StudyInstanceUid { get; init; }
    public DateTime StudyDate { get; init; } = new(2024, 1, 1);
    public string StudyTime { get; init; } = "101500";
    public string AccessionNumber { get; init; } = "";
    public string StudyDescription { get; init; } = "";
    public string Modality { get; init; } = "OT";
    public string? CharacterSet { get; init; }
    public int SeriesCount { get; init; } = 1;
    public int InstancesPerSeries { get; init; } = 1;

    public int InstanceCount => SeriesCount * InstancesPerSeries;

    public string SeriesInstanceUid(int series) => $"{StudyInstanceUid}.{series}";
    public string SopInstanceUid(int series, int instance) => $"{StudyInstanceUid}.{series}.{instance}";
    public string StudyDateText => StudyDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>A deterministic UUID-derived UID (2.25.…) from a name, so reruns produce the same studies.</summary>
    public static string UidFor(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        var value = new BigInteger(hash.AsSpan(0, 16), isUnsigned: true);
        return "2.25." + value.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>Generates many plausible studies quickly. A dcmqrscp storage area keeps at most <see cref="DcmqrscpPeer.MaxStudiesPerArea"/> of them.</summary>
public static class TestStudyGenerator
{
    private static readonly string[] Modalities = { "CT", "MR", "CR", "DX", "US", "PT", "XA", "RF" };
    private static readonly string[] Family = { "SMITH", "JONES", "TAYLOR", "BROWN", "WILSON", "EVANS", "THOMAS", "ROBERTS" };
    private static readonly string[] Given = { "ANNE", "JOHN", "MARY", "PETER", "SARAH", "DAVID", "EMMA", "JAMES" };

    /// <summary>
    /// <paramref name="studyCount"/> studies spread round-robin over <paramref name="patientCount"/> patients
    /// (IDs <c>{prefix}000001</c>…), dates spread over <paramref name="from"/>..<paramref name="to"/>. Deterministic per seed.
    /// </summary>
    public static IReadOnlyList<TestStudy> Generate(
        int patientCount, int studyCount, int seed = 1, string patientPrefix = "PAT", DateTime? from = null, DateTime? to = null)
    {
        var first = from ?? new DateTime(2015, 1, 1);
        var days = Math.Max(1, ((to ?? new DateTime(2024, 12, 31)) - first).Days + 1);
        var random = new Random(seed);
        var studies = new List<TestStudy>(studyCount);
        for (var i = 0; i < studyCount; i++)
        {
            var patient = i % patientCount + 1;
            var patientId = patientPrefix + patient.ToString("D6", CultureInfo.InvariantCulture);
            var modality = Modalities[random.Next(Modalities.Length)];
            studies.Add(new TestStudy
            {
                PatientId = patientId,
                PatientName = $"{Family[patient % Family.Length]}^{Given[patient / Family.Length % Given.Length]}",
                StudyInstanceUid = TestStudy.UidFor($"{seed}/{patientPrefix}/{i}"),
                StudyDate = first.AddDays(random.Next(days)),
                StudyTime = (80000 + random.Next(0, 100000)).ToString("D6", CultureInfo.InvariantCulture),
                AccessionNumber = "ACC" + (seed * 1_000_000 + i).ToString(CultureInfo.InvariantCulture),
                StudyDescription = $"{modality} STUDY {i % 50}",
                Modality = modality,
            });
        }
        return studies;
    }
}

/// <summary>Writes test studies as DICOM Part-10 files (Explicit VR LE), one file per instance.</summary>
public static class TestStudyFiles
{
    private static readonly byte[] Pixels = Enumerable.Range(0, 64).Select(i => (byte)(i * 4)).ToArray();

    /// <summary>Writes every instance directly from C# (fast: thousands of files per second). Returns the file paths.</summary>
    public static IReadOnlyList<string> WritePart10(IEnumerable<TestStudy> studies, string directory)
    {
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        foreach (var study in studies)
        {
            foreach (var (series, instance) in Instances(study))
            {
                var path = Path.Combine(directory, FileName(study, series, instance));
                File.WriteAllBytes(path, Part10(study, series, instance));
                paths.Add(path);
            }
        }
        return paths;
    }

    /// <summary>Writes every instance with <c>dump2dcm +te</c> from a text dump (one process per file: fine for tens of files).</summary>
    public static async Task<IReadOnlyList<string>> WriteWithDump2DcmAsync(IEnumerable<TestStudy> studies, string directory)
    {
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        foreach (var study in studies)
        {
            var encoding = TextEncoding(study.CharacterSet);
            foreach (var (series, instance) in Instances(study))
            {
                var name = FileName(study, series, instance);
                var dumpPath = Path.Combine(directory, name + ".txt");
                var path = Path.Combine(directory, name);
                // dump2dcm copies value bytes verbatim, so the dump is written in the study's character set.
                await File.WriteAllBytesAsync(dumpPath, encoding.GetBytes(Dump(study, series, instance)));
                await PeerProcess.RunAsync("dump2dcm", new[] { "+te", dumpPath, path }, TimeSpan.FromSeconds(30));
                File.Delete(dumpPath);
                paths.Add(path);
            }
        }
        return paths;
    }

    /// <summary>The attributes of one instance (without file meta information).</summary>
    public static DicomDataset Dataset(TestStudy study, int series, int instance)
    {
        var ds = new DicomDataset();
        if (study.CharacterSet != null)
        {
            ds.Set(DicomTags.SpecificCharacterSet, study.CharacterSet);
        }
        return ds
            .Set(DicomTags.SopClassUid, DicomUids.SecondaryCaptureImageStorage)
            .Set(DicomTags.SopInstanceUid, study.SopInstanceUid(series, instance))
            .Set(DicomTags.StudyDate, study.StudyDateText)
            .Set(DicomTags.StudyTime, study.StudyTime)
            .Set(DicomTags.AccessionNumber, study.AccessionNumber)
            .Set(DicomTags.Modality, study.Modality)
            .Set(DicomTags.ConversionType, "WSD")
            .Set(DicomTags.ReferringPhysicianName, "")
            .Set(DicomTags.StudyDescription, study.StudyDescription)
            .Set(DicomTags.PatientName, study.PatientName)
            .Set(DicomTags.PatientId, study.PatientId)
            .Set(DicomTags.PatientBirthDate, "")
            .Set(DicomTags.PatientSex, "")
            .Set(DicomTags.StudyInstanceUid, study.StudyInstanceUid)
            .Set(DicomTags.SeriesInstanceUid, study.SeriesInstanceUid(series))
            .Set(DicomTags.StudyId, "1")
            .Set(DicomTags.SeriesNumber, series.ToString(CultureInfo.InvariantCulture))
            .Set(DicomTags.InstanceNumber, instance.ToString(CultureInfo.InvariantCulture))
            .Set(DicomTags.SamplesPerPixel, (ushort)1)
            .Set(DicomTags.PhotometricInterpretation, "MONOCHROME2")
            .Set(DicomTags.Rows, (ushort)8)
            .Set(DicomTags.Columns, (ushort)8)
            .Set(DicomTags.BitsAllocated, (ushort)8)
            .Set(DicomTags.BitsStored, (ushort)8)
            .Set(DicomTags.HighBit, (ushort)7)
            .Set(DicomTags.PixelRepresentation, (ushort)0)
            .SetBytes(DicomTags.PixelData, DicomVR.OB, Pixels);
    }

    private static byte[] Part10(TestStudy study, int series, int instance)
    {
        var meta = new DicomDataset()
            .SetBytes(DicomTags.FileMetaInformationVersion, DicomVR.OB, new byte[] { 0, 1 })
            .Set(DicomTags.MediaStorageSopClassUid, DicomUids.SecondaryCaptureImageStorage)
            .Set(DicomTags.MediaStorageSopInstanceUid, study.SopInstanceUid(series, instance))
            .Set(DicomTags.TransferSyntaxUid, DicomTransferSyntax.ExplicitVRLittleEndian.Uid)
            .Set(DicomTags.ImplementationClassUid, DicomUids.ImplementationClassUid)
            .Set(DicomTags.ImplementationVersionName, DicomUids.ImplementationVersionName);
        var metaBytes = DicomDatasetCodec.Encode(meta, DicomTransferSyntax.ExplicitVRLittleEndian);
        meta.Set(DicomTags.FileMetaInformationGroupLength, (uint)metaBytes.Length);
        metaBytes = DicomDatasetCodec.Encode(meta, DicomTransferSyntax.ExplicitVRLittleEndian);
        var body = DicomDatasetCodec.Encode(Dataset(study, series, instance), DicomTransferSyntax.ExplicitVRLittleEndian);
        var file = new byte[128 + 4 + metaBytes.Length + body.Length];
        "DICM"u8.CopyTo(file.AsSpan(128));
        metaBytes.CopyTo(file, 132);
        body.CopyTo(file, 132 + metaBytes.Length);
        return file;
    }

    private static string Dump(TestStudy study, int series, int instance)
    {
        var lines = new StringBuilder();
        foreach (var element in Dataset(study, series, instance))
        {
            var tag = element.Tag.ToString();
            if (element.Text != null)
            {
                lines.Append(tag).Append(' ').Append(element.VR).Append(" [").Append(element.Text).Append("]\n");
            }
            else if (element.VR == DicomVR.US)
            {
                lines.Append(tag).Append(" US ").Append(BitConverter.ToUInt16(element.GetBytes()!, 0).ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
            else
            {
                lines.Append(tag).Append(' ').Append(element.VR).Append(' ')
                    .Append(string.Join('\\', element.GetBytes()!.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)))).Append('\n');
            }
        }
        return lines.ToString();
    }

    private static Encoding TextEncoding(string? characterSet) =>
        characterSet == "ISO_IR 192" ? new UTF8Encoding(false) : Encoding.Latin1;

    private static IEnumerable<(int series, int instance)> Instances(TestStudy study)
    {
        for (var s = 1; s <= study.SeriesCount; s++)
        {
            for (var i = 1; i <= study.InstancesPerSeries; i++)
            {
                yield return (s, i);
            }
        }
    }

    private static string FileName(TestStudy study, int series, int instance) =>
        $"{study.SopInstanceUid(series, instance)}.dcm";
}
