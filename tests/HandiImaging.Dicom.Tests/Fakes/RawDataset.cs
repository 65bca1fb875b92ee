using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
namespace HandiImaging.Dicom.Tests.Fakes;

/// <summary>
/// Writes Implicit VR LE elements from raw value bytes, so tests can send text exactly as a PACS encoded it
/// (any character set, escape sequences included) without going through our own encoder.
/// </summary>
public sealed class RawDataset
{
    private readonly List<byte> _bytes = new();

    public RawDataset Add(DicomTag tag, byte[] value)
    {
        var padded = value.Length % 2 == 1 ? value.Append((byte)' ').ToArray() : value;
        _bytes.AddRange(BitConverter.GetBytes(tag.Group));
        _bytes.AddRange(BitConverter.GetBytes(tag.Element));
        _bytes.AddRange(BitConverter.GetBytes((uint)padded.Length));
        _bytes.AddRange(padded);
        return this;
    }

    public RawDataset Add(DicomTag tag, string ascii) => Add(tag, System.Text.Encoding.ASCII.GetBytes(ascii));

    public byte[] ToArray() => _bytes.ToArray();

    /// <summary>Bytes from a mix of ASCII text and hex bytes: "Yamada^Tarou=" + Hex("1B 24 42 ...").</summary>
    public static byte[] Hex(string hex) => hex.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(h => Convert.ToByte(h, 16)).ToArray();

    public static byte[] Concat(params object[] parts) => parts.SelectMany(p => p switch
    {
        string s => System.Text.Encoding.ASCII.GetBytes(s),
        byte[] b => b,
        _ => throw new ArgumentException("text or bytes"),
    }).ToArray();
}
