namespace HandiImaging.Dicom;

/// <summary>Builds DIMSE command sets (PS3.7 §9, §10 and Annex E); always Implicit VR LE with a group length.</summary>
internal static class DimseCommands
{
    public const ushort CFindRequest = 0x0020;
    public const ushort CFindResponse = 0x8020;
    public const ushort CMoveRequest = 0x0021;
    public const ushort CMoveResponse = 0x8021;
    public const ushort CEchoRequest = 0x0030;
    public const ushort CEchoResponse = 0x8030;
    public const ushort CCancelRequest = 0x0FFF;

    private const ushort NoDataSet = 0x0101;
    /// <summary>Any value other than 0x0101 announces a dataset; 0x0001 is a common choice.</summary>
    private const ushort DataSetPresent = 0x0001;
    private const ushort MediumPriority = 0x0000;

    public static byte[] Echo(ushort messageId) => Encode(new DicomDataset()
        .Set(DicomTags.AffectedSopClassUid, DicomUids.Verification)
        .Set(DicomTags.CommandField, CEchoRequest)
        .Set(DicomTags.MessageId, messageId)
        .Set(DicomTags.CommandDataSetType, NoDataSet));

    public static byte[] Find(string sopClassUid, ushort messageId) => Encode(new DicomDataset()
        .Set(DicomTags.AffectedSopClassUid, sopClassUid)
        .Set(DicomTags.CommandField, CFindRequest)
        .Set(DicomTags.MessageId, messageId)
        .Set(DicomTags.Priority, MediumPriority)
        .Set(DicomTags.CommandDataSetType, DataSetPresent));

    public static byte[] Move(string sopClassUid, ushort messageId, string destination) => Encode(new DicomDataset()
        .Set(DicomTags.AffectedSopClassUid, sopClassUid)
        .Set(DicomTags.CommandField, CMoveRequest)
        .Set(DicomTags.MessageId, messageId)
        .Set(DicomTags.MoveDestination, destination)
        .Set(DicomTags.Priority, MediumPriority)
        .Set(DicomTags.CommandDataSetType, DataSetPresent));

    public static byte[] Cancel(ushort messageIdBeingCancelled) => Encode(new DicomDataset()
        .Set(DicomTags.CommandField, CCancelRequest)
        .Set(DicomTags.MessageIdBeingRespondedTo, messageIdBeingCancelled)
        .Set(DicomTags.CommandDataSetType, NoDataSet));

    /// <summary>Prefixes (0000,0000) with the length of the rest of the group.</summary>
    public static byte[] Encode(DicomDataset command)
    {
        command.Remove(DicomTags.CommandGroupLength);
        var body = DicomDatasetCodec.Encode(command, DicomTransferSyntax.ImplicitVRLittleEndian);
        command.Set(DicomTags.CommandGroupLength, (uint)body.Length);
        return DicomDatasetCodec.Encode(command, DicomTransferSyntax.ImplicitVRLittleEndian);
    }
}
