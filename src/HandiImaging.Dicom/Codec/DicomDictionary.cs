using System.Collections.Generic;

namespace HandiImaging.Dicom;

/// <summary>VR lookup for Implicit VR reading: only the attributes this product sends or reads.</summary>
internal static class DicomDictionary
{
    private static readonly Dictionary<uint, DicomVR> Entries = new()
    {
        [DicomTags.AffectedSopClassUid.Value] = DicomVR.UI,
        [DicomTags.CommandField.Value] = DicomVR.US,
        [DicomTags.MessageId.Value] = DicomVR.US,
        [DicomTags.MessageIdBeingRespondedTo.Value] = DicomVR.US,
        [DicomTags.MoveDestination.Value] = DicomVR.AE,
        [DicomTags.Priority.Value] = DicomVR.US,
        [DicomTags.CommandDataSetType.Value] = DicomVR.US,
        [DicomTags.Status.Value] = DicomVR.US,
        [DicomTags.OffendingElement.Value] = DicomVR.AT,
        [DicomTags.ErrorComment.Value] = DicomVR.LO,
        [DicomTags.ErrorId.Value] = DicomVR.US,
        [DicomTags.AffectedSopInstanceUid.Value] = DicomVR.UI,
        [DicomTags.NumberOfRemainingSuboperations.Value] = DicomVR.US,
        [DicomTags.NumberOfCompletedSuboperations.Value] = DicomVR.US,
        [DicomTags.NumberOfFailedSuboperations.Value] = DicomVR.US,
        [DicomTags.NumberOfWarningSuboperations.Value] = DicomVR.US,
        [DicomTags.MoveOriginatorApplicationEntityTitle.Value] = DicomVR.AE,
        [DicomTags.MoveOriginatorMessageId.Value] = DicomVR.US,
        [DicomTags.FileMetaInformationVersion.Value] = DicomVR.OB,
        [DicomTags.MediaStorageSopClassUid.Value] = DicomVR.UI,
        [DicomTags.MediaStorageSopInstanceUid.Value] = DicomVR.UI,
        [DicomTags.TransferSyntaxUid.Value] = DicomVR.UI,
        [DicomTags.ImplementationClassUid.Value] = DicomVR.UI,
        [DicomTags.ImplementationVersionName.Value] = DicomVR.SH,
        [DicomTags.SpecificCharacterSet.Value] = DicomVR.CS,
        [DicomTags.SopClassUid.Value] = DicomVR.UI,
        [DicomTags.SopInstanceUid.Value] = DicomVR.UI,
        [DicomTags.StudyDate.Value] = DicomVR.DA,
        [DicomTags.SeriesDate.Value] = DicomVR.DA,
        [DicomTags.StudyTime.Value] = DicomVR.TM,
        [DicomTags.SeriesTime.Value] = DicomVR.TM,
        [DicomTags.AccessionNumber.Value] = DicomVR.SH,
        [DicomTags.QueryRetrieveLevel.Value] = DicomVR.CS,
        [DicomTags.RetrieveAeTitle.Value] = DicomVR.AE,
        [DicomTags.InstanceAvailability.Value] = DicomVR.CS,
        [DicomTags.FailedSopInstanceUidList.Value] = DicomVR.UI,
        [DicomTags.Modality.Value] = DicomVR.CS,
        [DicomTags.ModalitiesInStudy.Value] = DicomVR.CS,
        [DicomTags.ConversionType.Value] = DicomVR.CS,
        [DicomTags.InstitutionName.Value] = DicomVR.LO,
        [DicomTags.ReferringPhysicianName.Value] = DicomVR.PN,
        [DicomTags.StudyDescription.Value] = DicomVR.LO,
        [DicomTags.SeriesDescription.Value] = DicomVR.LO,
        [DicomTags.ReferencedStudySequence.Value] = DicomVR.SQ,
        [DicomTags.ReferencedSeriesSequence.Value] = DicomVR.SQ,
        [DicomTags.ReferencedSopClassUid.Value] = DicomVR.UI,
        [DicomTags.ReferencedSopInstanceUid.Value] = DicomVR.UI,
        [DicomTags.PatientName.Value] = DicomVR.PN,
        [DicomTags.PatientId.Value] = DicomVR.LO,
        [DicomTags.PatientBirthDate.Value] = DicomVR.DA,
        [DicomTags.PatientSex.Value] = DicomVR.CS,
        [DicomTags.StudyInstanceUid.Value] = DicomVR.UI,
        [DicomTags.SeriesInstanceUid.Value] = DicomVR.UI,
        [DicomTags.StudyId.Value] = DicomVR.SH,
        [DicomTags.SeriesNumber.Value] = DicomVR.IS,
        [DicomTags.InstanceNumber.Value] = DicomVR.IS,
        [DicomTags.NumberOfStudyRelatedSeries.Value] = DicomVR.IS,
        [DicomTags.NumberOfStudyRelatedInstances.Value] = DicomVR.IS,
        [DicomTags.NumberOfSeriesRelatedInstances.Value] = DicomVR.IS,
        [DicomTags.SamplesPerPixel.Value] = DicomVR.US,
        [DicomTags.PhotometricInterpretation.Value] = DicomVR.CS,
        [DicomTags.Rows.Value] = DicomVR.US,
        [DicomTags.Columns.Value] = DicomVR.US,
        [DicomTags.BitsAllocated.Value] = DicomVR.US,
        [DicomTags.BitsStored.Value] = DicomVR.US,
        [DicomTags.HighBit.Value] = DicomVR.US,
        [DicomTags.PixelRepresentation.Value] = DicomVR.US,
        [DicomTags.RequestAttributesSequence.Value] = DicomVR.SQ,
        [DicomTags.PixelData.Value] = DicomVR.OW,
    };

    /// <summary>The VR of a known tag; group lengths are UL; null for anything else.</summary>
    public static DicomVR? Lookup(DicomTag tag)
    {
        if (tag.IsGroupLength)
        {
            return DicomVR.UL;
        }
        return Entries.TryGetValue(tag.Value, out var vr) ? vr : null;
    }
}
