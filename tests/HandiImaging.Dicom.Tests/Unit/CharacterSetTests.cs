using HandiImaging.Dicom.Tests.Fakes;
using static HandiImaging.Dicom.Tests.Fakes.RawDataset;

namespace HandiImaging.Dicom.Tests.Unit;

/// <summary>
/// Specific Character Set decoding (PS3.3 C.12.1.1.2, PS3.5 §6.1 and Annexes H–K): the byte strings are the
/// standard's own examples where it has them, otherwise characters picked from each ISO 8859 part's table.
/// </summary>
public sealed class CharacterSetTests
{
    private static DicomDataset Decode(string specificCharacterSet, byte[] patientName, byte[]? description = null)
    {
        var raw = new RawDataset().Add(DicomTags.SpecificCharacterSet, specificCharacterSet).Add(DicomTags.PatientName, patientName);
        if (description != null)
        {
            raw.Add(DicomTags.StudyDescription, description);
        }
        return DicomDatasetCodec.Decode(raw.ToArray(), DicomTransferSyntax.ImplicitVRLittleEndian);
    }

    public static TheoryData<string, string, string> SingleByte => new()
    {
        { "ISO_IR 100", "4D DC 4C 4C 45 52", "MÜLLER" },
        { "ISO_IR 101", "A3 55 4B 41 53 49 45 57 49 43 5A", "ŁUKASIEWICZ" },
        { "ISO_IR 109", "A1 41 D5 41 52", "ĦAĠAR" },
        { "ISO_IR 110", "C0 44 41 4D D1", "ĀDAMŅ" },
        { "ISO_IR 144", "BB CE BA", "ЛЮК" },
        { "ISO_IR 127", "E2 C8", "قب" },
        { "ISO_IR 126", "C4 C9 CF CD D5 D3 C9 CF D3", "ΔΙΟΝΥΣΙΟΣ" },
        { "ISO_IR 138", "F9 F8 E5 EF", "שרון" },
        { "ISO_IR 148", "DE 45 DD 46", "ŞEİF" },
        { "ISO_IR 203", "A6 54 A4 BC", "ŠT€Œ" },
        { "ISO_IR 166", "A1 A2", "กข" },
        { "ISO_IR 13", "D4 CF C0 DE", "ﾔﾏﾀﾞ" },
        { "ISO_IR 192", "C5 81 55 4B 41 53 49 45 57 49 43 5A", "ŁUKASIEWICZ" },
        { "GB18030", "57 61 6E 67 5E 58 69 61 6F 44 6F 6E 67 3D CD F5 5E D0 A1 B6 AB 3D", "Wang^XiaoDong=王^小东=" },
        { "GBK", "CD F5 5E D0 A1 B6 AB", "王^小东" },
    };

    [Theory]
    [MemberData(nameof(SingleByte))]
    public void Every_single_byte_and_whole_encoding_term_decodes(string term, string hex, string expected)
    {
        var decoded = Decode(term, Hex(hex));

        Assert.Equal(expected, decoded.GetString(DicomTags.PatientName));
        Assert.Empty(decoded.DecodingWarnings);
    }

    [Theory]
    [MemberData(nameof(SingleByte))]
    public void The_iso_2022_form_of_each_single_byte_term_decodes_the_same(string term, string hex, string expected)
    {
        if (!term.StartsWith("ISO_IR ", StringComparison.Ordinal) || term == "ISO_IR 192")
        {
            return; // UTF-8, GB18030 and GBK have no code-extension form
        }
        var decoded = Decode(term.Replace("ISO_IR ", "ISO 2022 IR "), Hex(hex));

        Assert.Equal(expected, decoded.GetString(DicomTags.PatientName));
    }

    [Fact]
    public void Japanese_kanji_and_hiragana_switch_g0_with_escapes_in_each_component_group()
    {
        // PS3.5 H.3.1: Yamada^Tarou=山田^太郎=やまだ^たろう with ISO 2022 IR 87.
        var name = Concat("Yamada^Tarou=", Hex("1B 24 42 3B 33 45 44 1B 28 42"), "^", Hex("1B 24 42 42 40 4F 3A 1B 28 42"),
            "=", Hex("1B 24 42 24 64 24 5E 24 40 1B 28 42"), "^", Hex("1B 24 42 24 3F 24 6D 24 26 1B 28 42"));

        Assert.Equal("Yamada^Tarou=山田^太郎=やまだ^たろう", Decode("\\ISO 2022 IR 87", name).GetString(DicomTags.PatientName));
    }

    [Fact]
    public void Japanese_katakana_in_g1_with_romaji_and_kanji_in_g0()
    {
        // PS3.5 H.3.2: ISO 2022 IR 13 as value 1 (JIS X 0201 in G0 and G1), kanji switched in and out with ESC ( J.
        var name = Concat(Hex("D4 CF C0 DE"), "^", Hex("C0 DB B3"), "=", Hex("1B 24 42 3B 33 45 44 1B 28 4A"), "^",
            Hex("1B 24 42 42 40 4F 3A 1B 28 4A"), "=", Hex("1B 24 42 24 64 24 5E 24 40 1B 28 4A"), "^", Hex("1B 24 42 24 3F 24 6D 24 26 1B 28 4A"));

        Assert.Equal("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう", Decode("ISO 2022 IR 13\\ISO 2022 IR 87", name).GetString(DicomTags.PatientName));
    }

    [Fact]
    public void Jis_x_0212_supplementary_kanji()
    {
        var name = Concat(Hex("1B 24 28 44 30 21 1B 28 42"), "^X");

        Assert.Equal("丂^X", Decode("\\ISO 2022 IR 159", name).GetString(DicomTags.PatientName));
    }

    [Fact]
    public void Korean_hangul_and_hanja_in_g1()
    {
        // PS3.5 I.2: Hong^Gildong=洪^吉洞=홍^길동 with ISO 2022 IR 149.
        var name = Concat("Hong^Gildong=", Hex("1B 24 29 43 FB F3"), "^", Hex("1B 24 29 43 D1 CE D4 D7"), "=",
            Hex("1B 24 29 43 C8 AB"), "^", Hex("1B 24 29 43 B1 E6 B5 BF"));

        Assert.Equal("Hong^Gildong=洪^吉洞=홍^길동", Decode("\\ISO 2022 IR 149", name).GetString(DicomTags.PatientName));
    }

    [Fact]
    public void Chinese_gb2312_in_g1()
    {
        // PS3.5 K.2: Zhang^XiaoDong=张^小东= with ISO 2022 IR 58.
        var name = Concat("Zhang^XiaoDong=", Hex("1B 24 29 41 D5 C5"), "^", Hex("1B 24 29 41 D0 A1 B6 AB"), "=");

        Assert.Equal("Zhang^XiaoDong=张^小东=", Decode("\\ISO 2022 IR 58", name).GetString(DicomTags.PatientName));
    }

    [Fact]
    public void A_g1_switch_to_greek_after_the_default_repertoire()
    {
        var name = Concat("Dionysios=", Hex("1B 2D 46 C4 C9 CF CD D5 D3 C9 CF D3"));

        Assert.Equal("Dionysios=ΔΙΟΝΥΣΙΟΣ", Decode("ISO 2022 IR 6\\ISO 2022 IR 126", name).GetString(DicomTags.PatientName));
    }

    [Fact]
    public void Each_person_name_component_starts_again_in_value_1_but_a_long_string_does_not()
    {
        // ESC - L designates Cyrillic to G1 for the first component only; after '^' BB is Latin-1 '»' again.
        var bytes = Concat("A", Hex("1B 2D 4C BB"), "^", Hex("BB"));

        var decoded = Decode("ISO 2022 IR 100\\ISO 2022 IR 144", bytes, bytes);

        Assert.Equal("AЛ^»", decoded.GetString(DicomTags.PatientName));
        Assert.Equal("AЛ^Л", decoded.GetString(DicomTags.StudyDescription));
    }

    [Fact]
    public void Each_value_of_a_multi_valued_string_starts_again_in_value_1()
    {
        var bytes = Concat(Hex("1B 2D 4C BB"), "\\", Hex("BB"));

        var decoded = Decode("ISO 2022 IR 100\\ISO 2022 IR 144", Hex("41"), bytes);

        Assert.Equal(new[] { "Л", "»" }, decoded.GetStrings(DicomTags.StudyDescription));
    }

    [Fact]
    public void Code_strings_and_uids_stay_in_the_default_repertoire()
    {
        var raw = new RawDataset().Add(DicomTags.SpecificCharacterSet, "GB18030").Add(DicomTags.StudyInstanceUid, "1.2.3\0");

        var decoded = DicomDatasetCodec.Decode(raw.ToArray(), DicomTransferSyntax.ImplicitVRLittleEndian);

        Assert.Equal("1.2.3", decoded.GetString(DicomTags.StudyInstanceUid));
    }

    [Fact]
    public void An_unknown_term_decodes_as_latin_1_with_a_warning_that_names_it()
    {
        var decoded = Decode("ISO_IR 999", Hex("4D DC 4C 4C 45 52"));

        Assert.Equal("MÜLLER", decoded.GetString(DicomTags.PatientName));
        var warning = Assert.Single(decoded.DecodingWarnings);
        Assert.Contains("'ISO_IR 999'", warning);
        Assert.Contains("Latin-1", warning);
    }

    [Fact]
    public void An_unknown_code_extension_term_and_an_unknown_escape_are_warnings_not_failures()
    {
        var decoded = Decode("\\ISO 2022 IR 9999", Concat("A", Hex("1B 2D 5A DC")));

        Assert.Equal("AÜ", decoded.GetString(DicomTags.PatientName));
        Assert.Equal(2, decoded.DecodingWarnings.Count);
        Assert.Contains(decoded.DecodingWarnings, w => w.Contains("'ISO 2022 IR 9999'"));
        Assert.Contains(decoded.DecodingWarnings, w => w.Contains("escape sequence (1B 2D 5A)"));
    }

    [Fact]
    public void A_sequence_item_with_its_own_character_set_decodes_with_it()
    {
        var item = new RawDataset().Add(DicomTags.SpecificCharacterSet, "ISO_IR 144").Add(DicomTags.PatientName, Hex("BB CE BA")).ToArray();
        var sequence = new List<byte>();
        sequence.AddRange(new byte[] { 0xFE, 0xFF, 0x00, 0xE0 });
        sequence.AddRange(BitConverter.GetBytes((uint)item.Length));
        sequence.AddRange(item);
        var raw = new RawDataset().Add(DicomTags.SpecificCharacterSet, "ISO_IR 100").Add(DicomTags.PatientName, Hex("DC"))
            .Add(DicomTags.ReferencedStudySequence, sequence.ToArray());

        var decoded = DicomDatasetCodec.Decode(raw.ToArray(), DicomTransferSyntax.ImplicitVRLittleEndian);

        Assert.Equal("Ü", decoded.GetString(DicomTags.PatientName));
        Assert.Equal("ЛЮК", decoded.GetSequence(DicomTags.ReferencedStudySequence)[0].GetString(DicomTags.PatientName));
    }
}
