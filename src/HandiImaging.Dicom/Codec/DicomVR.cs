namespace HandiImaging.Dicom;

/// <summary>Value representations (PS3.5 §6.2).</summary>
public enum DicomVR
{
    AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV, TM,
    UC, UI, UL, UN, UR, US, UT, UV,
}

internal static class DicomVRInfo
{
    /// <summary>Character-string VRs: decoded to text with the dataset's character set.</summary>
    public static bool IsText(DicomVR vr) => vr switch
    {
        DicomVR.AE or DicomVR.AS or DicomVR.CS or DicomVR.DA or DicomVR.DS or DicomVR.DT or DicomVR.IS
            or DicomVR.LO or DicomVR.LT or DicomVR.PN or DicomVR.SH or DicomVR.ST or DicomVR.TM or DicomVR.UC
            or DicomVR.UI or DicomVR.UR or DicomVR.UT => true,
        _ => false,
    };

    /// <summary>Explicit VR: these have 2 reserved bytes and a 4-byte length (PS3.5 §7.1.2).</summary>
    public static bool HasLongLength(DicomVR vr) => vr switch
    {
        DicomVR.OB or DicomVR.OD or DicomVR.OF or DicomVR.OL or DicomVR.OV or DicomVR.OW or DicomVR.SQ
            or DicomVR.SV or DicomVR.UC or DicomVR.UN or DicomVR.UR or DicomVR.UT or DicomVR.UV => true,
        _ => false,
    };

    /// <summary>UI values are padded with NUL, other strings with a space, binary values with zero.</summary>
    public static byte PaddingByte(DicomVR vr) => vr == DicomVR.UI || !IsText(vr) ? (byte)0 : (byte)' ';

    public static bool IsLetter(byte b) => b >= 'A' && b <= 'Z';

    public static bool TryParse(byte first, byte second, out DicomVR vr)
    {
        vr = default;
        if (first < 'A' || first > 'Z' || second < 'A' || second > 'Z')
        {
            return false;
        }
        return System.Enum.TryParse(new string(new[] { (char)first, (char)second }), out vr)
            && System.Enum.IsDefined(typeof(DicomVR), vr);
    }
}
