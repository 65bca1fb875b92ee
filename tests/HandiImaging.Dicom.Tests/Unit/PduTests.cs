using System.Text;
using HandiImaging.Dicom.Pdu;

namespace HandiImaging.Dicom.Tests.Unit;

public sealed class PduTests
{
    [Fact]
    public void Associate_request_is_byte_exact()
    {
        var rq = new AssociateRequestPdu("PACS", "HANDI", "1.2.840.10008.3.1.1.1",
            new[] { new PresentationContextProposal(1, "1.2.840.10008.1.1", new[] { "1.2.840.10008.1.2" }) },
            new UserInformation(16384, "1.2.3", "V1"));

        var expected = new List<byte> { 0x01, 0x00 };
        var body = new List<byte> { 0x00, 0x01, 0x00, 0x00 };
        body.AddRange(Encoding.ASCII.GetBytes("PACS            "));
        body.AddRange(Encoding.ASCII.GetBytes("HANDI           "));
        body.AddRange(new byte[32]);
        body.AddRange(Item(0x10, "1.2.840.10008.3.1.1.1"));
        var pc = new List<byte> { 0x01, 0, 0, 0 };
        pc.AddRange(Item(0x30, "1.2.840.10008.1.1"));
        pc.AddRange(Item(0x40, "1.2.840.10008.1.2"));
        body.AddRange(Item(0x20, pc.ToArray()));
        var user = new List<byte>();
        user.AddRange(Item(0x51, new byte[] { 0x00, 0x00, 0x40, 0x00 }));
        user.AddRange(Item(0x52, "1.2.3"));
        user.AddRange(Item(0x55, "V1"));
        body.AddRange(Item(0x50, user.ToArray()));
        expected.AddRange(BigEndian32(body.Count));
        expected.AddRange(body);

        Assert.Equal(expected.ToArray(), PduCodec.Encode(rq));
    }

    public static TheoryData<string> PduKinds => new() { "rq", "ac", "rj", "data", "release-rq", "release-rp", "abort" };

    [Theory]
    [MemberData(nameof(PduKinds))]
    public void Every_pdu_type_round_trips(string kind)
    {
        var pdu = Samples.Pdu(kind);

        var decoded = PduCodec.Decode(PduCodec.Encode(pdu));

        Assert.Equal(pdu.Type, decoded.Type);
        Assert.Equal(PduCodec.Encode(pdu), PduCodec.Encode(decoded));
    }

    [Fact]
    public void Accept_with_unknown_items_and_nonzero_reserved_bytes_still_decodes()
    {
        var bytes = PduCodec.Encode(Samples.Pdu("ac")).ToList();
        bytes[6 + 2] = 0xFF; // reserved field after protocol version (dcmtk sends 0xFF in one)
        var extra = Item(0x7A, new byte[] { 1, 2, 3 });
        bytes.InsertRange(6 + 68, extra);
        var length = bytes.Count - 6;
        bytes[2] = (byte)(length >> 24);
        bytes[3] = (byte)(length >> 16);
        bytes[4] = (byte)(length >> 8);
        bytes[5] = (byte)length;

        var ac = Assert.IsType<AssociateAcceptPdu>(PduCodec.Decode(bytes.ToArray()));

        Assert.Equal(PresentationContextResult.Accepted, ac.PresentationContexts[0].Result);
        Assert.Equal(32768u, ac.UserInformation.MaxPduLength);
    }

    [Fact]
    public async Task A_pdu_longer_than_our_maximum_is_refused_before_it_is_read()
    {
        var header = new byte[] { 0x04, 0x00, 0x7F, 0xFF, 0xFF, 0xFF };
        using var stream = new MemoryStream(header);

        var error = await Assert.ThrowsAsync<DicomProtocolException>(() => PduReader.ReadAsync(stream, 16384, CancellationToken.None));

        Assert.Contains("limit is 16384", error.Message);
    }

    [Fact]
    public void Fragments_never_exceed_the_peer_maximum_and_reassemble_exactly()
    {
        var command = DimseCommands.Find(DicomUids.StudyRootFind, 7);
        var dataset = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();

        var pdus = PdvFragmenter.Fragment(3, command, dataset, 1000);

        Assert.All(pdus, p => Assert.InRange(PduCodec.Encode(p).Length - PduCodec.HeaderLength, 1, 1000));
        var assembler = new DimseMessageAssembler(1 << 20);
        var messages = pdus.SelectMany(p => ((DataTransferPdu)PduCodec.Decode(PduCodec.Encode(p))).Values)
            .Select(assembler.Add).Where(m => m != null).ToList();
        var message = Assert.Single(messages)!;
        Assert.Equal(dataset, message.Dataset);
        Assert.Equal(7, message.Command.GetInt32(DicomTags.MessageId));
        Assert.Equal(3, message.PresentationContextId);
    }

    [Fact]
    public void A_small_message_travels_as_several_pdvs_in_one_pdu()
    {
        var pdus = PdvFragmenter.Fragment(1, DimseCommands.Find(DicomUids.StudyRootFind, 1), new byte[] { 1, 2 }, 16384);

        var values = Assert.Single(pdus).Values;
        Assert.Equal(new[] { true, false }, values.Select(v => v.IsCommand));
        Assert.All(values, v => Assert.True(v.IsLastFragment));
    }

    [Fact]
    public void An_element_split_across_fragments_is_decoded_once_reassembled()
    {
        var match = new DicomDataset().Set(DicomTags.PatientName, new string('N', 101)).Set(DicomTags.PatientId, "SPLIT");
        var encoded = DicomDatasetCodec.Encode(match, DicomTransferSyntax.ImplicitVRLittleEndian);
        // 37-byte fragments cut through headers and values alike.
        var pdus = PdvFragmenter.Fragment(1, DimseCommands.Find(DicomUids.StudyRootFind, 1), encoded, 37 + 6);
        var assembler = new DimseMessageAssembler(1 << 20);

        var message = pdus.SelectMany(p => p.Values).Select(assembler.Add).Last(m => m != null)!;

        Assert.True(pdus.Count > 5);
        Assert.Equal("SPLIT", DicomDatasetCodec.Decode(message.Dataset!, DicomTransferSyntax.ImplicitVRLittleEndian).GetString(DicomTags.PatientId));
    }

    [Fact]
    public void A_dataset_fragment_before_any_command_is_a_protocol_error()
    {
        var assembler = new DimseMessageAssembler(1024);

        Assert.Throws<DicomProtocolException>(() => assembler.Add(new PresentationDataValue(1, false, true, new byte[] { 1 })));
    }

    [Fact]
    public void A_dataset_beyond_the_limit_is_refused_as_it_arrives()
    {
        var assembler = new DimseMessageAssembler(100);
        var pdus = PdvFragmenter.Fragment(1, DimseCommands.Find(DicomUids.StudyRootFind, 1), new byte[150], 80);

        Assert.Throws<DicomProtocolException>(() => pdus.SelectMany(p => p.Values).Select(assembler.Add).ToList());
    }

    internal static byte[] Item(byte type, string ascii) => Item(type, Encoding.ASCII.GetBytes(ascii));

    internal static byte[] Item(byte type, byte[] content) =>
        new byte[] { type, 0, (byte)(content.Length >> 8), (byte)content.Length }.Concat(content).ToArray();

    private static byte[] BigEndian32(int value) =>
        new[] { (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value };
}

/// <summary>Valid PDUs and datasets, shared by the round-trip and fuzz tests.</summary>
internal static class Samples
{
    public static DicomPdu Pdu(string kind) => kind switch
    {
        "rq" => new AssociateRequestPdu("PACS", "HANDI", DicomUids.ApplicationContext,
            new[]
            {
                new PresentationContextProposal(1, DicomUids.Verification, new[] { "1.2.840.10008.1.2.1", "1.2.840.10008.1.2" }),
                new PresentationContextProposal(3, DicomUids.StudyRootFind, new[] { "1.2.840.10008.1.2" }),
            },
            new UserInformation(65536, DicomUids.ImplementationClassUid, "HANDI")),
        "ac" => new AssociateAcceptPdu("PACS", "HANDI", DicomUids.ApplicationContext,
            new[]
            {
                new PresentationContextAnswer(1, PresentationContextResult.Accepted, "1.2.840.10008.1.2.1"),
                new PresentationContextAnswer(3, PresentationContextResult.AbstractSyntaxNotSupported, "1.2.840.10008.1.2"),
            },
            new UserInformation(32768, "1.2.276.0.7230010.3.0.3.6.7", "OFFIS_DCMTK_367")),
        "rj" => new AssociateRejectPdu(1, 1, 7),
        "data" => new DataTransferPdu(new[]
        {
            new PresentationDataValue(1, true, true, DimseCommands.Echo(5)),
            new PresentationDataValue(1, false, false, new byte[] { 9, 8, 7 }),
        }),
        "release-rq" => new ReleaseRequestPdu(),
        "release-rp" => new ReleaseResponsePdu(),
        "abort" => new AbortPdu(2, 6),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static DicomDataset Match(int i) => new DicomDataset()
        .Set(DicomTags.SpecificCharacterSet, i % 2 == 0 ? "ISO_IR 100" : "ISO_IR 192")
        .Set(DicomTags.StudyDate, "20240101")
        .Set(DicomTags.PatientName, "MÜLLER^JÖRG")
        .Set(DicomTags.PatientId, "P" + i)
        .Set(DicomTags.StudyInstanceUid, "1.2.3." + i)
        .Set(DicomTags.NumberOfStudyRelatedInstances, "12")
        .SetBytes(new DicomTag(0x0009, 0x1001), DicomVR.UN, new byte[] { 1, 2, 3, 4 })
        .SetSequence(DicomTags.ReferencedStudySequence, new DicomDataset().Set(DicomTags.ReferencedSopInstanceUid, "1.2"));
}
