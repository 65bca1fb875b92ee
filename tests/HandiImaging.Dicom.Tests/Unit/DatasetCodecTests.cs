using System.Text;

namespace HandiImaging.Dicom.Tests.Unit;

public sealed class DatasetCodecTests
{
    public static TheoryData<string> Syntaxes => new() { "implicit", "explicit" };

    private static DicomTransferSyntax Syntax(string name) =>
        name == "implicit" ? DicomTransferSyntax.ImplicitVRLittleEndian : DicomTransferSyntax.ExplicitVRLittleEndian;

    private static DicomDataset Sample() => new DicomDataset()
        .Set(DicomTags.QueryRetrieveLevel, "STUDY")
        .Set(DicomTags.PatientId, "ODD")
        .Set(DicomTags.StudyInstanceUid, "1.2.3")
        .Set(DicomTags.ModalitiesInStudy, new[] { "CT", "MR" })
        .Set(DicomTags.Rows, (ushort)512)
        .Set(DicomTags.CommandGroupLength, 1234u)
        .SetBytes(DicomTags.PixelData, DicomVR.OB, new byte[] { 1, 2, 3 })
        .SetSequence(DicomTags.ReferencedStudySequence,
            new DicomDataset().Set(DicomTags.ReferencedSopInstanceUid, "1.2.3.4"),
            new DicomDataset().SetSequence(DicomTags.ReferencedSeriesSequence, new DicomDataset().Set(DicomTags.SeriesInstanceUid, "9.8")));

    [Theory]
    [InlineData("implicit", false)]
    [InlineData("implicit", true)]
    [InlineData("explicit", false)]
    [InlineData("explicit", true)]
    public void Round_trips_values_and_sequences_of_defined_and_undefined_length(string syntax, bool undefinedLength)
    {
        var bytes = DicomDatasetCodec.Encode(Sample(), Syntax(syntax), undefinedLength);
        var decoded = DicomDatasetCodec.Decode(bytes, Syntax(syntax));

        Assert.Equal("STUDY", decoded.GetString(DicomTags.QueryRetrieveLevel));
        Assert.Equal("ODD", decoded.GetString(DicomTags.PatientId));
        Assert.Equal("1.2.3", decoded.GetString(DicomTags.StudyInstanceUid));
        Assert.Equal(new[] { "CT", "MR" }, decoded.GetStrings(DicomTags.ModalitiesInStudy));
        Assert.Equal(512, decoded.GetInt32(DicomTags.Rows));
        Assert.Equal(1234, decoded.GetInt32(DicomTags.CommandGroupLength));
        Assert.Equal(new byte[] { 1, 2, 3, 0 }, decoded.GetElement(DicomTags.PixelData)!.GetBytes());
        var items = decoded.GetSequence(DicomTags.ReferencedStudySequence);
        Assert.Equal(2, items.Count);
        Assert.Equal("1.2.3.4", items[0].GetString(DicomTags.ReferencedSopInstanceUid));
        Assert.Equal("9.8", items[1].GetSequence(DicomTags.ReferencedSeriesSequence)[0].GetString(DicomTags.SeriesInstanceUid));
        Assert.Equal(undefinedLength, bytes.AsSpan().IndexOf(new byte[] { 0xFE, 0xFF, 0xDD, 0xE0 }) >= 0);
    }

    [Fact]
    public void Implicit_encoding_is_byte_exact_with_nul_padded_uids_and_space_padded_strings()
    {
        var bytes = DicomDatasetCodec.Encode(
            new DicomDataset().Set(DicomTags.PatientId, "ABC").Set(DicomTags.StudyInstanceUid, "1.2.3"),
            DicomTransferSyntax.ImplicitVRLittleEndian);

        Assert.Equal(new byte[]
        {
            0x10, 0x00, 0x20, 0x00, 4, 0, 0, 0, (byte)'A', (byte)'B', (byte)'C', (byte)' ',
            0x20, 0x00, 0x0D, 0x00, 6, 0, 0, 0, (byte)'1', (byte)'.', (byte)'2', (byte)'.', (byte)'3', 0,
        }, bytes);
    }

    [Fact]
    public void Explicit_encoding_uses_short_and_long_length_forms()
    {
        var bytes = DicomDatasetCodec.Encode(
            new DicomDataset().Set(DicomTags.PatientId, "AB").SetBytes(new DicomTag(0x0009, 0x0010), DicomVR.UN, new byte[] { 7, 8 }),
            DicomTransferSyntax.ExplicitVRLittleEndian);

        Assert.Equal(new byte[]
        {
            0x09, 0x00, 0x10, 0x00, (byte)'U', (byte)'N', 0, 0, 2, 0, 0, 0, 7, 8,
            0x10, 0x00, 0x20, 0x00, (byte)'L', (byte)'O', 2, 0, (byte)'A', (byte)'B',
        }, bytes);
    }

    [Fact]
    public void Latin1_declared_values_decode_exactly()
    {
        var raw = Concat(
            Implicit(0x0008, 0x0005, Encoding.ASCII.GetBytes("ISO_IR 100")),
            Implicit(0x0010, 0x0010, Encoding.Latin1.GetBytes("MÜLLER^JÖRG ")));

        Assert.Equal("MÜLLER^JÖRG", DicomDatasetCodec.Decode(raw, DicomTransferSyntax.ImplicitVRLittleEndian).GetString(DicomTags.PatientName));
    }

    [Fact]
    public void Undeclared_non_ascii_bytes_fall_back_to_latin1()
    {
        var raw = Implicit(0x0010, 0x0010, Encoding.Latin1.GetBytes("ÅSE^BJØRN "));

        Assert.Equal("ÅSE^BJØRN", DicomDatasetCodec.Decode(raw, DicomTransferSyntax.ImplicitVRLittleEndian).GetString(DicomTags.PatientName));
    }

    [Fact]
    public void Non_ascii_text_is_encoded_as_utf8_and_declared_iso_ir_192()
    {
        var bytes = DicomDatasetCodec.Encode(new DicomDataset().Set(DicomTags.PatientName, "ŁUKASZ^Ż"), DicomTransferSyntax.ExplicitVRLittleEndian);
        var decoded = DicomDatasetCodec.Decode(bytes, DicomTransferSyntax.ExplicitVRLittleEndian);

        Assert.Equal("ISO_IR 192", decoded.GetString(DicomTags.SpecificCharacterSet));
        Assert.Equal("ŁUKASZ^Ż", decoded.GetString(DicomTags.PatientName));
        Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes("Ł")) >= 0);
    }

    [Fact]
    public void Ascii_only_datasets_get_no_character_set()
    {
        var bytes = DicomDatasetCodec.Encode(new DicomDataset().Set(DicomTags.PatientName, "DOE^JOHN"), DicomTransferSyntax.ExplicitVRLittleEndian);

        Assert.False(DicomDatasetCodec.Decode(bytes, DicomTransferSyntax.ExplicitVRLittleEndian).Contains(DicomTags.SpecificCharacterSet));
    }

    [Fact]
    public void Unknown_private_and_undefined_length_elements_are_read_past_without_failing()
    {
        var privateItem = Concat(Implicit(0x0009, 0x1001, new byte[] { 1, 2, 3, 4 }));
        var unknownSequence = Concat(
            Tag(0x0009, 0x1002), Le32(0xFFFFFFFF),
            Tag(0xFFFE, 0xE000), Le32(0xFFFFFFFF), privateItem, Tag(0xFFFE, 0xE00D), Le32(0),
            Tag(0xFFFE, 0xE0DD), Le32(0));
        var raw = Concat(Implicit(0x0008, 0x0050, Encoding.ASCII.GetBytes("A1")), privateItem, unknownSequence,
            Implicit(0x0010, 0x0020, Encoding.ASCII.GetBytes("P9")));

        var decoded = DicomDatasetCodec.Decode(raw, DicomTransferSyntax.ImplicitVRLittleEndian);

        Assert.Equal("A1", decoded.GetString(DicomTags.AccessionNumber));
        Assert.Equal("P9", decoded.GetString(DicomTags.PatientId));
        Assert.Equal(DicomVR.UN, decoded.GetElement(new DicomTag(0x0009, 0x1001))!.VR);
        Assert.Single(decoded.GetSequence(new DicomTag(0x0009, 0x1002)));
    }

    [Fact]
    public void Explicit_undefined_length_un_is_read_as_an_implicit_sequence()
    {
        var item = Implicit(0x0010, 0x0020, Encoding.ASCII.GetBytes("IN"));
        var raw = Concat(Tag(0x0011, 0x1010), Encoding.ASCII.GetBytes("UN"), new byte[] { 0, 0 }, Le32(0xFFFFFFFF),
            Tag(0xFFFE, 0xE000), Le32((uint)item.Length), item, Tag(0xFFFE, 0xE0DD), Le32(0));

        var decoded = DicomDatasetCodec.Decode(raw, DicomTransferSyntax.ExplicitVRLittleEndian);

        Assert.Equal("IN", decoded.GetSequence(new DicomTag(0x0011, 0x1010))[0].GetString(DicomTags.PatientId));
    }

    [Fact]
    public void An_element_longer_than_the_remaining_bytes_is_a_protocol_error()
    {
        var raw = Concat(Tag(0x0010, 0x0020), Le32(0x7FFFFFF0), new byte[] { 1, 2 });

        var error = Assert.Throws<DicomProtocolException>(() => DicomDatasetCodec.Decode(raw, DicomTransferSyntax.ImplicitVRLittleEndian));
        Assert.Contains("exceeds", error.Message);
    }

    [Fact]
    public void An_element_longer_than_the_configured_maximum_is_a_protocol_error_even_if_present()
    {
        var raw = Implicit(0x0010, 0x0020, new byte[64]);

        Assert.Throws<DicomProtocolException>(() => DicomDatasetCodec.Decode(
            raw, DicomTransferSyntax.ImplicitVRLittleEndian, new DicomCodecLimits { MaxElementLength = 32 }));
    }

    [Fact]
    public void Sequences_nested_beyond_the_limit_are_a_protocol_error()
    {
        var inner = new DicomDataset().Set(DicomTags.PatientId, "X");
        for (var i = 0; i < 5; i++)
        {
            inner = new DicomDataset().SetSequence(DicomTags.ReferencedStudySequence, inner);
        }
        var bytes = DicomDatasetCodec.Encode(inner, DicomTransferSyntax.ImplicitVRLittleEndian);

        Assert.Throws<DicomProtocolException>(() => DicomDatasetCodec.Decode(
            bytes, DicomTransferSyntax.ImplicitVRLittleEndian, new DicomCodecLimits { MaxSequenceDepth = 3 }));
    }

    internal static byte[] Tag(ushort group, ushort element) =>
        new[] { (byte)group, (byte)(group >> 8), (byte)element, (byte)(element >> 8) };

    internal static byte[] Le32(uint value) => BitConverter.GetBytes(value);

    internal static byte[] Implicit(ushort group, ushort element, byte[] value) =>
        Concat(Tag(group, element), Le32((uint)value.Length), value);

    internal static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    [Fact]
    public void An_unknown_vr_in_explicit_vr_reads_as_un_with_a_long_length_and_the_rest_still_decodes()
    {
        // A VR defined after this code (here "ZZ"): two reserved bytes and a 32-bit length, as every new VR uses.
        var bytes = new byte[]
        {
            0x09, 0x00, 0x10, 0x00, (byte)'Z', (byte)'Z', 0, 0, 4, 0, 0, 0, 1, 2, 3, 4,
            0x10, 0x00, 0x20, 0x00, (byte)'L', (byte)'O', 2, 0, (byte)'P', (byte)'1',
        };

        var decoded = DicomDatasetCodec.Decode(bytes, DicomTransferSyntax.ExplicitVRLittleEndian);

        var unknown = decoded.GetElement(new DicomTag(0x0009, 0x0010))!;
        Assert.Equal(DicomVR.UN, unknown.VR);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, unknown.GetBytes());
        Assert.Equal("P1", decoded.GetString(DicomTags.PatientId));
    }
}
