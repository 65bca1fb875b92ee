using System;

namespace HandiImaging.Core.Demo
{
    /// <summary>
    /// SplitMix64: a tiny generator whose sequence is fixed by its definition, so a seed gives the same demo
    /// quarter on every runtime and platform (System.Random's sequence is not a documented contract).
    /// </summary>
    internal sealed class DemoQuarterRandom
    {
        private ulong _state;

        public DemoQuarterRandom(int seed) => _state = 0x9E3779B97F4A7C15UL ^ (ulong)(uint)seed;

        public ulong NextUInt64()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in [0, 1).</summary>
        public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        /// <summary>Uniform in [0, max).</summary>
        public int Next(int max) => max <= 0 ? 0 : (int)(NextUInt64() % (ulong)max);

        /// <summary>Uniform in [min, max).</summary>
        public int Next(int min, int max) => min + Next(max - min);

        public bool Chance(double p) => NextDouble() < p;

        public T Pick<T>(T[] items) => items[Next(items.Length)];

        /// <summary>Gamma(2, 1) / 2: mean 1, a right-skewed spread of how much imaging a patient has.</summary>
        public double Skew() => (-Math.Log(1 - NextDouble()) - Math.Log(1 - NextDouble())) / 2;

        /// <summary>A Poisson count (Knuth for small means, a rounded normal for large ones).</summary>
        public int Poisson(double mean)
        {
            if (mean <= 0) return 0;
            if (mean < 30)
            {
                var limit = Math.Exp(-mean);
                var k = 0;
                var p = NextDouble();
                while (p > limit)
                {
                    k++;
                    p *= NextDouble();
                }
                return k;
            }
            var normal = Math.Sqrt(-2 * Math.Log(1 - NextDouble())) * Math.Cos(2 * Math.PI * NextDouble());
            return Math.Max(0, (int)Math.Round(mean + Math.Sqrt(mean) * normal));
        }
    }
}
