using System.Diagnostics;
using HandiImaging.Dicom.Pdu;

namespace HandiImaging.Dicom.Tests.Unit;

/// <summary>
/// Seeded random, truncated and bit-flipped inputs: decoding may succeed or throw DicomProtocolException,
/// nothing else, and must finish quickly (no hang, no allocation of a claimed size).
/// </summary>
public sealed class FuzzTests
{
    private const int Iterations = 4000;

    [Fact]
    public void Mutated_pdus_only_ever_raise_protocol_errors()
    {
        var seeds = new[] { "rq", "ac", "rj", "data", "release-rq", "release-rp", "abort" }.Select(k => PduCodec.Encode(Samples.Pdu(k))).ToArray();
        Run(seed: 11, seeds, bytes => PduCodec.Decode(bytes));
    }

    [Fact]
    public void Mutated_datasets_only_ever_raise_protocol_errors()
    {
        var seeds = new[]
        {
            DicomDatasetCodec.Encode(Samples.Match(1), DicomTransferSyntax.ImplicitVRLittleEndian),
            DicomDatasetCodec.Encode(Samples.Match(2), DicomTransferSyntax.ImplicitVRLittleEndian, undefinedLengthSequences: true),
            DicomDatasetCodec.Encode(Samples.Match(3), DicomTransferSyntax.ExplicitVRLittleEndian),
            DicomDatasetCodec.Encode(Samples.Match(4), DicomTransferSyntax.ExplicitVRLittleEndian, undefinedLengthSequences: true),
        };
        Run(seed: 23, seeds, bytes =>
        {
            DicomDatasetCodec.Decode(bytes, DicomTransferSyntax.ImplicitVRLittleEndian);
            DicomDatasetCodec.Decode(bytes, DicomTransferSyntax.ExplicitVRLittleEndian);
        });
    }

    [Fact]
    public void Mutated_pdv_streams_only_ever_raise_protocol_errors()
    {
        var message = PdvFragmenter.Fragment(1, DimseCommands.Find(DicomUids.StudyRootFind, 3),
            DicomDatasetCodec.Encode(Samples.Match(1), DicomTransferSyntax.ImplicitVRLittleEndian), 64);
        var seeds = new[] { message.Select(PduCodec.Encode).SelectMany(b => b).ToArray() };
        Run(seed: 37, seeds, bytes =>
        {
            // Re-split the mutated byte stream into PDUs as a reader would, then reassemble.
            var assembler = new DimseMessageAssembler(1 << 16);
            var offset = 0;
            while (offset + PduCodec.HeaderLength <= bytes.Length)
            {
                var length = (int)Math.Min(PduCodec.ReadUInt32BE(bytes, offset + 2), (uint)(bytes.Length - offset - PduCodec.HeaderLength));
                var pdu = PduCodec.DecodeBody(bytes[offset], bytes, offset + PduCodec.HeaderLength, length);
                offset += PduCodec.HeaderLength + length;
                if (pdu is DataTransferPdu data)
                {
                    foreach (var pdv in data.Values)
                    {
                        if (assembler.Add(pdv) is { Dataset: { } dataset })
                        {
                            DicomDatasetCodec.Decode(dataset, DicomTransferSyntax.ImplicitVRLittleEndian);
                        }
                    }
                }
            }
        });
    }

    private static void Run(int seed, byte[][] seeds, Action<byte[]> decode)
    {
        var random = new Random(seed);
        var stopwatch = Stopwatch.StartNew();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var rejected = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var input = Mutate(random, seeds[random.Next(seeds.Length)]);
            try
            {
                decode(input);
            }
            catch (DicomProtocolException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"Iteration {i} (seed {seed}) raised {e.GetType().Name}: {e.Message}\ninput: {Convert.ToHexString(input)}");
            }
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        // Inputs are at most a few KiB: a few hundred MiB in total would mean a claimed length was allocated.
        Assert.InRange(allocated, 0, 256L * 1024 * 1024);
        Assert.InRange(rejected, Iterations / 10, Iterations);
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = (byte[])seed.Clone();
        switch (random.Next(4))
        {
            case 0:
                return bytes[..random.Next(bytes.Length)];
            case 1:
                for (var flips = random.Next(1, 9); flips > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }
                return bytes;
            case 2:
                // Overwrite a 4-byte run with a huge or random value: hits length fields.
                var at = random.Next(Math.Max(1, bytes.Length - 4));
                var value = random.Next(2) == 0 ? 0xFFFFFFF0u : (uint)random.Next();
                for (var k = 0; k < 4 && at + k < bytes.Length; k++)
                {
                    bytes[at + k] = (byte)(value >> (8 * k));
                }
                return bytes;
            default:
                var noise = new byte[random.Next(0, 200)];
                random.NextBytes(noise);
                return random.Next(2) == 0 ? noise : bytes[..random.Next(bytes.Length)].Concat(noise).ToArray();
        }
    }
}
