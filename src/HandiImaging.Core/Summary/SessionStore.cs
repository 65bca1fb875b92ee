using System;
using System.Collections.Generic;
using System.Text;

namespace HandiImaging.Core.Summary
{
    /// <summary>
    /// Append-only UTF-8 storage for the three copied columns of every session. A session's values live in one
    /// record (<c>[len][ID][len][UID][len][Scans]</c>, lengths as 7-bit varints, 0 = missing) inside 1 MB chunks,
    /// so 1.75 million sessions cost a few large arrays instead of millions of strings for the GC to trace.
    /// </summary>
    internal sealed class ValueArena
    {
        private const int ChunkSize = 1 << 20;
        private static readonly Encoding Utf8 = new UTF8Encoding(false, false);
        private readonly List<byte[]> _chunks = new List<byte[]>();
        private byte[] _current = Array.Empty<byte>();
        private int _used;

        /// <summary>Stores three values (null or empty = missing) and returns the record's handle.</summary>
        public long Append(string? a, string? b, string? c)
        {
            var worst = Worst(a) + Worst(b) + Worst(c);
            if (_current.Length - _used < worst)
            {
                _current = new byte[Math.Max(ChunkSize, worst)];
                _chunks.Add(_current);
                _used = 0;
            }
            var handle = ((long)(_chunks.Count - 1) << 32) | (uint)_used;
            Put(a);
            Put(b);
            Put(c);
            return handle;
        }

        private static int Worst(string? s) => 5 + (s is null ? 0 : Utf8.GetMaxByteCount(s.Length));

        private void Put(string? s)
        {
            if (string.IsNullOrEmpty(s))
            {
                _current[_used++] = 0;
                return;
            }
            var length = Utf8.GetByteCount(s);
            var lengthAt = _used;
            _used += VarintSize(length);
            WriteVarint(_current, lengthAt, length);
            _used += Utf8.GetBytes(s, 0, s!.Length, _current, _used);
        }

        /// <summary>Position and length of value <paramref name="index"/> (0..2) of a record.</summary>
        public void Locate(long handle, int index, out byte[] chunk, out int offset, out int length)
        {
            chunk = _chunks[(int)(handle >> 32)];
            offset = (int)(handle & 0xFFFFFFFF);
            while (true)
            {
                length = ReadVarint(chunk, ref offset);
                if (index-- == 0) return;
                offset += length;
            }
        }

        /// <summary>The value as text, or null when it was missing.</summary>
        public string? Get(long handle, int index)
        {
            Locate(handle, index, out var chunk, out var offset, out var length);
            return length == 0 ? null : Utf8.GetString(chunk, offset, length);
        }

        /// <summary>
        /// Compares value <paramref name="index"/> of two records in ordinal (UTF-16 code unit) order, the order
        /// <see cref="string.CompareOrdinal(string, string)"/> gives; missing sorts as the empty string.
        /// </summary>
        public int CompareOrdinal(long x, long y, int index)
        {
            Locate(x, index, out var cx, out var ox, out var lx);
            Locate(y, index, out var cy, out var oy, out var ly);
            var n = Math.Min(lx, ly);
            for (var i = 0; i < n; i++)
            {
                int a = cx[ox + i], b = cy[oy + i];
                if (a == b) continue;
                // UTF-8 byte order is code point order. UTF-16 differs in one place: a supplementary character
                // (lead byte F0-F4, surrogates D800-DFFF in UTF-16) sorts before U+E000..U+FFFF (lead EE-EF).
                if (a >= 0xF0 && (b == 0xEE || b == 0xEF)) return -1;
                if (b >= 0xF0 && (a == 0xEE || a == 0xEF)) return 1;
                return a - b;
            }
            return lx - ly;
        }

        public bool IsMissing(long handle, int index)
        {
            Locate(handle, index, out _, out _, out var length);
            return length == 0;
        }

        private static int VarintSize(int value)
        {
            var size = 1;
            while ((value >>= 7) != 0) size++;
            return size;
        }

        private static void WriteVarint(byte[] buffer, int at, int value)
        {
            var v = (uint)value;
            while (v >= 0x80)
            {
                buffer[at++] = (byte)(v | 0x80);
                v >>= 7;
            }
            buffer[at] = (byte)v;
        }

        private static int ReadVarint(byte[] buffer, ref int at)
        {
            int value = 0, shift = 0;
            while (true)
            {
                var b = buffer[at++];
                value |= (b & 0x7F) << shift;
                if (b < 0x80) return value;
                shift += 7;
            }
        }
    }

    /// <summary>One session row as held in memory: 24 bytes plus its values in the <see cref="ValueArena"/>.</summary>
    internal struct SessionEntry
    {
        /// <summary>Handle of the ID/UID/Scans record.</summary>
        public long Record;

        /// <summary>Subject number (order of first appearance).</summary>
        public int Subject;

        /// <summary>Days since 0001-01-01, or <see cref="NoDate"/> for a missing or unparseable date.</summary>
        public int Day;

        /// <summary>Line the row starts on in its file: unique within a section, so it also keeps file order.</summary>
        public int Line;

        public byte Section;

        public bool Ignored;

        /// <summary>Sorts after every real date: unparseable dates go last.</summary>
        public const int NoDate = int.MaxValue;
    }

    /// <summary>A growable array of sessions whose backing array the merge can sort in place.</summary>
    internal sealed class SessionList
    {
        private SessionEntry[] _items = new SessionEntry[1024];

        public int Count { get; private set; }

        public SessionEntry[] Items => _items;

        public void Add(in SessionEntry entry)
        {
            if (Count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
            _items[Count++] = entry;
        }

        public void Release()
        {
            _items = Array.Empty<SessionEntry>();
            Count = 0;
        }
    }
}
