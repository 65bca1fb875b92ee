namespace HandiImaging.Dicom;

/// <summary>The two uncompressed little-endian transfer syntaxes this library speaks.</summary>
public sealed class DicomTransferSyntax
{
    public static readonly DicomTransferSyntax ImplicitVRLittleEndian = new("1.2.840.10008.1.2", "Implicit VR Little Endian", false);
    public static readonly DicomTransferSyntax ExplicitVRLittleEndian = new("1.2.840.10008.1.2.1", "Explicit VR Little Endian", true);

    private DicomTransferSyntax(string uid, string name, bool isExplicitVR)
    {
        Uid = uid;
        Name = name;
        IsExplicitVR = isExplicitVR;
    }

    public string Uid { get; }
    public string Name { get; }
    public bool IsExplicitVR { get; }

    /// <summary>The syntax for a UID, or null when it is one we do not speak.</summary>
    public static DicomTransferSyntax? FromUid(string uid) =>
        uid == ImplicitVRLittleEndian.Uid ? ImplicitVRLittleEndian
        : uid == ExplicitVRLittleEndian.Uid ? ExplicitVRLittleEndian
        : null;

    public override string ToString() => Name;
}
