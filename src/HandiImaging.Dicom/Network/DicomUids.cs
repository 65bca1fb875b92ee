using System;

namespace HandiImaging.Dicom;

/// <summary>UIDs of the services we use, and our own implementation identity.</summary>
public static class DicomUids
{
    public const string ApplicationContext = "1.2.840.10008.3.1.1.1";
    public const string Verification = "1.2.840.10008.1.1";
    public const string StudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
    public const string StudyRootMove = "1.2.840.10008.5.1.4.1.2.2.2";
    public const string PatientRootFind = "1.2.840.10008.5.1.4.1.2.1.1";
    public const string PatientRootMove = "1.2.840.10008.5.1.4.1.2.1.2";
    public const string SecondaryCaptureImageStorage = "1.2.840.10008.5.1.4.1.1.7";

    /// <summary>A UUID-derived UID (PS3.5 §B.2), so no registered root is needed.</summary>
    public const string ImplementationClassUid = "2.25.204809632533477353735171774085318425605";
    public const string ImplementationVersionName = "HANDIIMAGING_01";

    /// <summary>A fresh UUID-derived UID ("2.25." + the UUID as a decimal integer).</summary>
    public static string NewUid()
    {
        var bytes = Guid.NewGuid().ToByteArray();
        // Guid.ToByteArray is mixed-endian; the order does not matter for uniqueness, only the value range.
        var value = new System.Numerics.BigInteger(Concat(bytes, new byte[] { 0 }));
        return "2.25." + value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Concat(byte[] a, byte[] b)
    {
        var result = new byte[a.Length + b.Length];
        Buffer.BlockCopy(a, 0, result, 0, a.Length);
        Buffer.BlockCopy(b, 0, result, a.Length, b.Length);
        return result;
    }
}

/// <summary>Services to negotiate on an association. Verification is always proposed as well.</summary>
[Flags]
public enum DicomServices
{
    Verification = 1,
    StudyRootFind = 2,
    StudyRootMove = 4,
    PatientRootFind = 8,
    PatientRootMove = 16,
}

/// <summary>Query/Retrieve information model.</summary>
public enum QueryRetrieveModel
{
    StudyRoot,
    PatientRoot,
}
