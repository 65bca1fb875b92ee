using System;

namespace HandiImaging.Dicom;

/// <summary>A growable byte array with little- and big-endian writers (DICOM data is LE, PDU headers are BE).</summary>
internal sealed class ByteBuffer
{
    private byte[] _data;

    public ByteBuffer(int capacity = 256)
    {
        _data = new byte[Math.Max(16, capacity)];
    }

    public int Length { get; private set; }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _data[Length++] = value;
    }

    public void WriteBytes(byte[] value) => WriteBytes(value, 0, value.Length);

    public void WriteBytes(byte[] value, int offset, int count)
    {
        Ensure(count);
        Buffer.BlockCopy(value, offset, _data, Length, count);
        Length += count;
    }

    public void WriteZeros(int count)
    {
        Ensure(count);
        Array.Clear(_data, Length, count);
        Length += count;
    }

    public void WriteUInt16LE(ushort value)
    {
        Ensure(2);
        _data[Length++] = (byte)value;
        _data[Length++] = (byte)(value >> 8);
    }

    public void WriteUInt32LE(uint value)
    {
        Ensure(4);
        _data[Length++] = (byte)value;
        _data[Length++] = (byte)(value >> 8);
        _data[Length++] = (byte)(value >> 16);
        _data[Length++] = (byte)(value >> 24);
    }

    public void WriteUInt16BE(ushort value)
    {
        Ensure(2);
        _data[Length++] = (byte)(value >> 8);
        _data[Length++] = (byte)value;
    }

    public void WriteUInt32BE(uint value)
    {
        Ensure(4);
        _data[Length++] = (byte)(value >> 24);
        _data[Length++] = (byte)(value >> 16);
        _data[Length++] = (byte)(value >> 8);
        _data[Length++] = (byte)value;
    }

    /// <summary>Overwrites a big-endian length placeholder written earlier.</summary>
    public void PatchUInt32BE(int position, uint value)
    {
        _data[position] = (byte)(value >> 24);
        _data[position + 1] = (byte)(value >> 16);
        _data[position + 2] = (byte)(value >> 8);
        _data[position + 3] = (byte)value;
    }

    public void PatchUInt16BE(int position, ushort value)
    {
        _data[position] = (byte)(value >> 8);
        _data[position + 1] = (byte)value;
    }

    public byte[] ToArray()
    {
        var result = new byte[Length];
        Buffer.BlockCopy(_data, 0, result, 0, Length);
        return result;
    }

    private void Ensure(int extra)
    {
        if (Length + extra <= _data.Length)
        {
            return;
        }
        var size = _data.Length;
        while (size < Length + extra)
        {
            size *= 2;
        }
        Array.Resize(ref _data, size);
    }
}
