using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace HandiImaging.Core.Tests.Runbook
{
    /// <summary>
    /// A minimal PNG decoder for screenshots: 8-bit greyscale, RGB or RGBA (with or without alpha),
    /// non-interlaced — what Chromium writes. Enough to count colours and find what is not background.
    /// </summary>
    public sealed class PngImage
    {
        private PngImage(int width, int height, uint[] pixels)
        {
            Width = width;
            Height = height;
            Pixels = pixels;
        }

        public int Width { get; }
        public int Height { get; }
        /// <summary>0xRRGGBB per pixel, row by row.</summary>
        public uint[] Pixels { get; }

        public uint this[int x, int y] => Pixels[y * Width + x];

        public static PngImage Read(string path)
        {
            var bytes = File.ReadAllBytes(path);
            var signature = new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 };
            if (bytes.Length < 8 || !bytes.Take(8).SequenceEqual(signature)) throw new InvalidDataException($"{path} is not a PNG.");
            int width = 0, height = 0, bitDepth = 0, colorType = 0, interlace = 0;
            var idat = new MemoryStream();
            int pos = 8;
            while (pos + 8 <= bytes.Length)
            {
                int length = BigEndian(bytes, pos);
                var type = Encoding.ASCII.GetString(bytes, pos + 4, 4);
                var data = pos + 8;
                if (type == "IHDR")
                {
                    width = BigEndian(bytes, data);
                    height = BigEndian(bytes, data + 4);
                    bitDepth = bytes[data + 8];
                    colorType = bytes[data + 9];
                    interlace = bytes[data + 12];
                }
                else if (type == "IDAT") idat.Write(bytes, data, length);
                else if (type == "IEND") break;
                pos = data + length + 4; // + CRC
            }
            if (bitDepth != 8 || interlace != 0) throw new NotSupportedException($"PNG bit depth {bitDepth}, interlace {interlace} is not supported.");
            int channels = colorType switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => throw new NotSupportedException($"PNG colour type {colorType} is not supported.") };

            idat.Position = 0;
            using var inflater = new ZLibStream(idat, CompressionMode.Decompress);
            int stride = width * channels;
            var raw = new byte[(stride + 1) * height];
            int read = 0, n;
            while (read < raw.Length && (n = inflater.Read(raw, read, raw.Length - read)) > 0) read += n;
            if (read != raw.Length) throw new InvalidDataException($"PNG data ends after {read} of {raw.Length} bytes.");

            var previous = new byte[stride];
            var current = new byte[stride];
            var pixels = new uint[width * height];
            for (int y = 0; y < height; y++)
            {
                int rowStart = y * (stride + 1);
                byte filter = raw[rowStart];
                for (int i = 0; i < stride; i++)
                {
                    int x = raw[rowStart + 1 + i];
                    int a = i >= channels ? current[i - channels] : 0;
                    int b = previous[i];
                    int c = i >= channels ? previous[i - channels] : 0;
                    current[i] = (byte)(filter switch
                    {
                        0 => x,
                        1 => x + a,
                        2 => x + b,
                        3 => x + ((a + b) >> 1),
                        4 => x + Paeth(a, b, c),
                        _ => throw new InvalidDataException($"PNG filter {filter} on row {y}."),
                    });
                }
                for (int px = 0; px < width; px++)
                {
                    int o = px * channels;
                    uint r, g, bl;
                    if (channels <= 2) r = g = bl = current[o];
                    else { r = current[o]; g = current[o + 1]; bl = current[o + 2]; }
                    pixels[y * width + px] = (r << 16) | (g << 8) | bl;
                }
                (previous, current) = (current, previous);
            }
            return new PngImage(width, height, pixels);
        }

        private static int Paeth(int a, int b, int c)
        {
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }

        private static int BigEndian(byte[] b, int i) => (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
    }
}
