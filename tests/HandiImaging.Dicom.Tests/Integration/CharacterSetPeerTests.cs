using HandiImaging.TestPeers;

namespace HandiImaging.Dicom.Tests.Integration;

/// <summary>
/// Orthanc answers C-FIND in its DefaultEncoding whatever the query declares, so one Orthanc per encoding shows
/// our decoding of a real peer's single-byte sets and its ISO 2022 code extensions (escape sequences in PN).
/// </summary>
public sealed class CharacterSetPeerTests
{
    [Theory]
    [InlineData("Cyrillic", "ISO_IR 144", "ЛЮКСЕМБУРГ^ИВАН")]
    [InlineData("Korean", "ISO 2022 IR 149", "홍^길동")]
    [InlineData("JapaneseKanji", "ISO 2022 IR 87", "山田^太郎")]
    [InlineData("SimplifiedChinese", "ISO 2022 IR 58", "张^小东")]
    [InlineData("Chinese", "GB18030", "王^小东")]
    public async Task Orthanc_answering_in_its_default_encoding_is_decoded_exactly(string orthancEncoding, string term, string name)
    {
        var study = new TestStudy
        {
            PatientId = "CS" + orthancEncoding.Length, PatientName = name, StudyInstanceUid = TestStudy.UidFor("charset/" + orthancEncoding),
            StudyDate = new DateTime(2024, 2, 2), AccessionNumber = "CS1", StudyDescription = "CT", CharacterSet = "ISO_IR 192",
        };
        await using var pacs = await OrthancPeer.StartAsync(new[] { study }, new OrthancPeerOptions { DefaultEncoding = orthancEncoding });
        await using var association = await DicomAssociation.OpenAsync(pacs.ClientOptions(KnownStudies.CallingAe), DicomServices.StudyRootFind);

        var matches = await association.Find(QueryRetrieveModel.StudyRoot, RealPeerTests.StudyQuery().Set(DicomTags.PatientId, study.PatientId)).ToListAsync();

        var match = Assert.Single(matches);
        Assert.Contains(term, match.GetStrings(DicomTags.SpecificCharacterSet));
        Assert.Equal(name, match.GetString(DicomTags.PatientName));
        Assert.Empty(match.DecodingWarnings);
    }
}
