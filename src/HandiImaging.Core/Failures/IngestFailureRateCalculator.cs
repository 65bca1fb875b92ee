using System;
using System.Collections.Generic;
using System.Globalization;

namespace HandiImaging.Core.Failures
{
    /// <summary>Whether a group's failure rate is clearly above its baseline.</summary>
    public enum IngestFailureVerdict
    {
        Normal,
        /// <summary>The one-sided binomial p-value is below alpha: likely a pipeline problem, not bad luck.</summary>
        High,
    }

    /// <summary>One group's failure rate this run against its baseline.</summary>
    public sealed class IngestFailureRate
    {
        /// <summary>CT, MR, PET+NM, RF+XA or CR+DX.</summary>
        public string Group { get; set; } = "";
        /// <summary>Studies whose ingestion was attempted.</summary>
        public long Attempted { get; set; }
        /// <summary>Studies that failed.</summary>
        public long Failed { get; set; }
        /// <summary>Failed / Attempted (0 when nothing was attempted).</summary>
        public double Rate { get; set; }
        /// <summary>The rate the group is compared against (historic, or the one given).</summary>
        public double BaselineRate { get; set; }
        /// <summary>P(X ≥ Failed) for X ~ Binomial(Attempted, BaselineRate): how likely this many failures are by chance.</summary>
        public double PValue { get; set; }
        /// <summary>The significance level the verdict used.</summary>
        public double Alpha { get; set; }
        public IngestFailureVerdict Verdict { get; set; }

        public override string ToString() => string.Format(CultureInfo.InvariantCulture,
            "{0}: {1}/{2} failed ({3:P1}, baseline {4:P1}, p={5:G3}) {6}", Group, Failed, Attempted, Rate, BaselineRate, PValue, Verdict);
    }

    /// <summary>How one attempted ingestion ended, from the status words XNAT, the cmdlets and hand-made CSVs use.</summary>
    public enum IngestOutcome
    {
        Succeeded,
        Failed,
        /// <summary>Not an attempt: skipped (already in XNAT), planned under -WhatIf, or handed over.</summary>
        NotAttempted,
    }

    /// <summary>Reads status words into <see cref="IngestOutcome"/>.</summary>
    public static class IngestOutcomes
    {
        private static readonly Dictionary<string, IngestOutcome> Words = new Dictionary<string, IngestOutcome>(StringComparer.OrdinalIgnoreCase)
        {
            ["Received"] = IngestOutcome.Succeeded, ["Succeeded"] = IngestOutcome.Succeeded, ["Success"] = IngestOutcome.Succeeded,
            ["Successful"] = IngestOutcome.Succeeded, ["Completed"] = IngestOutcome.Succeeded, ["Complete"] = IngestOutcome.Succeeded,
            ["Ingested"] = IngestOutcome.Succeeded, ["Imported"] = IngestOutcome.Succeeded, ["Archived"] = IngestOutcome.Succeeded,
            ["OK"] = IngestOutcome.Succeeded, ["Resolved"] = IngestOutcome.Succeeded,
            ["Failed"] = IngestOutcome.Failed, ["Failure"] = IngestOutcome.Failed, ["Error"] = IngestOutcome.Failed,
            ["Stale"] = IngestOutcome.Failed, ["TimedOut"] = IngestOutcome.Failed, ["Timeout"] = IngestOutcome.Failed,
            ["Rejected"] = IngestOutcome.Failed, ["Dropped"] = IngestOutcome.Failed, ["NotIngested"] = IngestOutcome.Failed,
            ["Open"] = IngestOutcome.Failed,
            ["Skipped"] = IngestOutcome.NotAttempted, ["AlreadyInXnat"] = IngestOutcome.NotAttempted, ["Exists"] = IngestOutcome.NotAttempted,
            ["WhatIf"] = IngestOutcome.NotAttempted, ["Planned"] = IngestOutcome.NotAttempted, ["HandedOver"] = IngestOutcome.NotAttempted,
        };

        /// <summary>The words understood, for error messages and help.</summary>
        public static IEnumerable<string> Known => Words.Keys;

        /// <summary>Reads a status (case, spaces, '-' and '_' ignored); false for anything else, including pending states.</summary>
        public static bool TryParse(string? status, out IngestOutcome outcome)
        {
            outcome = default;
            if (string.IsNullOrWhiteSpace(status)) return false;
            var key = status!.Trim().Replace(" ", "").Replace("-", "").Replace("_", "");
            return Words.TryGetValue(key, out outcome);
        }
    }

    /// <summary>
    /// Counts attempts and failures per group and judges each group's rate against its baseline with a one-sided
    /// exact binomial test: High when P(X ≥ failed | attempted, baseline) &lt; alpha.
    /// </summary>
    public sealed class IngestFailureRateCalculator
    {
        private readonly Dictionary<string, double> _baselines = new Dictionary<string, double>(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _attempted = new Dictionary<string, long>(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _failed = new Dictionary<string, long>(StringComparer.Ordinal);

        /// <param name="baselines">Baseline rates (0–1) replacing the historic ones for the groups given; keys are group names or modalities.</param>
        /// <param name="alpha">Significance level; the verdict is High when the p-value is below it.</param>
        public IngestFailureRateCalculator(IEnumerable<KeyValuePair<string, double>>? baselines = null, double alpha = 0.01)
        {
            if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Alpha must be between 0 and 1 (exclusive).");
            Alpha = alpha;
            foreach (var pair in IngestGroup.HistoricBaselines) _baselines[pair.Key] = pair.Value;
            if (baselines != null)
            {
                foreach (var pair in baselines)
                {
                    var group = IngestGroup.Resolve(pair.Key) ?? throw new ArgumentException($"Baseline '{pair.Key}' names no group; use {string.Join(", ", IngestGroup.All)} or one of their modalities.", nameof(baselines));
                    if (double.IsNaN(pair.Value) || pair.Value < 0 || pair.Value > 1)
                        throw new ArgumentOutOfRangeException(nameof(baselines), pair.Value, $"Baseline for {group} must be a rate between 0 and 1.");
                    _baselines[group] = pair.Value;
                }
            }
            foreach (var group in IngestGroup.All) { _attempted[group] = 0; _failed[group] = 0; }
        }

        public double Alpha { get; }

        /// <summary>The baseline each group is judged against.</summary>
        public IReadOnlyDictionary<string, double> Baselines => _baselines;

        /// <summary>Adds one attempted study of <paramref name="group"/> (a group name or a modality).</summary>
        public void AddAttempt(string group, bool failed) => AddCounts(group, 1, failed ? 1 : 0);

        /// <summary>Adds counts for a group (a group name or a modality).</summary>
        public void AddCounts(string group, long attempted, long failed)
        {
            var resolved = IngestGroup.Resolve(group) ?? throw new ArgumentException($"'{group}' names no group; use {string.Join(", ", IngestGroup.All)} or one of their modalities.", nameof(group));
            if (attempted < 0 || failed < 0) throw new ArgumentOutOfRangeException(nameof(attempted), $"{resolved}: counts cannot be negative ({attempted} attempted, {failed} failed).");
            if (failed > attempted) throw new ArgumentOutOfRangeException(nameof(failed), $"{resolved}: {failed} failed is more than the {attempted} attempted.");
            _attempted[resolved] = checked(_attempted[resolved] + attempted);
            _failed[resolved] = checked(_failed[resolved] + failed);
        }

        /// <summary>One result per group, in <see cref="IngestGroup.All"/> order (groups with no attempts included).</summary>
        public IReadOnlyList<IngestFailureRate> Results()
        {
            var results = new List<IngestFailureRate>(IngestGroup.All.Count);
            foreach (var group in IngestGroup.All)
            {
                long n = _attempted[group], k = _failed[group];
                var baseline = _baselines[group];
                var p = UpperTailPValue(n, k, baseline);
                results.Add(new IngestFailureRate
                {
                    Group = group,
                    Attempted = n,
                    Failed = k,
                    Rate = n == 0 ? 0 : (double)k / n,
                    BaselineRate = baseline,
                    PValue = p,
                    Alpha = Alpha,
                    Verdict = p < Alpha ? IngestFailureVerdict.High : IngestFailureVerdict.Normal,
                });
            }
            return results;
        }

        /// <summary>
        /// P(X ≥ k) for X ~ Binomial(n, p), summed in log space from the exact log-probability of k (no overflow or
        /// underflow for n in the millions; relative error about 1e-10 at n = 20,000, from rounding in log n!). Terms past the mode shrink geometrically,
        /// so the sum stops once they no longer change it.
        /// </summary>
        public static double UpperTailPValue(long n, long k, double p)
        {
            if (n < 0) throw new ArgumentOutOfRangeException(nameof(n));
            if (double.IsNaN(p) || p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p));
            if (k <= 0) return 1;
            if (k > n) return 0;
            if (p == 0) return 0;
            if (p == 1) return 1;

            // Below the mean the upper tail is most of the mass: sum the (shorter, smaller) lower tail instead.
            if (k < n * p) return Math.Max(0, 1 - LowerTail(n, k - 1, p));
            return UpperTail(n, k, p);
        }

        private static double UpperTail(long n, long k, double p)
        {
            double logOdds = Math.Log(p) - Math.Log(1 - p);
            double first = LogBinomialPmf(n, k, p);
            // Sum exp(term - first): the first term is the largest (k ≥ mean), so the sum is ≥ 1 and cannot overflow.
            double sum = 1, term = 0;
            for (long i = k; i < n; i++)
            {
                term += Math.Log((double)(n - i) / (i + 1)) + logOdds;
                double t = Math.Exp(term);
                sum += t;
                if (t < sum * 1e-17) break;
            }
            return Math.Exp(first + Math.Log(sum));
        }

        private static double LowerTail(long n, long k, double p)
        {
            if (k < 0) return 0;
            double logInverseOdds = Math.Log(1 - p) - Math.Log(p);
            double first = LogBinomialPmf(n, k, p);
            double sum = 1, term = 0;
            for (long i = k; i > 0; i--)
            {
                term += Math.Log((double)i / (n - i + 1)) + logInverseOdds;
                double t = Math.Exp(term);
                sum += t;
                if (t < sum * 1e-17) break;
            }
            return Math.Exp(first + Math.Log(sum));
        }

        /// <summary>log P(X = k) for X ~ Binomial(n, p), 0 &lt; p &lt; 1.</summary>
        internal static double LogBinomialPmf(long n, long k, double p) =>
            LogFactorial(n) - LogFactorial(k) - LogFactorial(n - k) + k * Math.Log(p) + (n - k) * Log1p(-p);

        /// <summary>log(n!): exact sums for small n, Stirling's series (error below 1e-15 for n ≥ 20) above.</summary>
        internal static double LogFactorial(long n)
        {
            if (n < 0) throw new ArgumentOutOfRangeException(nameof(n));
            if (n < SmallLogFactorials.Length) return SmallLogFactorials[n];
            double x = n + 1.0; // lgamma(x)
            double inv = 1 / x, inv2 = inv * inv;
            double series = inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 - inv2 * (1.0 / 1188)))));
            return (x - 0.5) * Math.Log(x) - x + 0.91893853320467274178 + series;
        }

        private static readonly double[] SmallLogFactorials = BuildSmallLogFactorials(64);

        private static double[] BuildSmallLogFactorials(int count)
        {
            var table = new double[count];
            double f = 1;
            for (int i = 1; i < count; i++) { f *= i; table[i] = Math.Log(f); }
            return table;
        }

        private static double Log1p(double x) => Math.Abs(x) < 1e-4 ? x - x * x / 2 + x * x * x / 3 - x * x * x * x / 4 : Math.Log(1 + x);
    }
}
