using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using HandiImaging.Core.Failures;

namespace HandiImaging.Core.Tests.Failures
{
    public class IngestFailureRateTests
    {
        /// <summary>
        /// P(X ≥ k) for X ~ Binomial(n, a/b), summed exactly in integers: Σ C(n,i) a^i (b−a)^(n−i) / b^n.
        /// Each term follows from the previous one by an exact integer division.
        /// </summary>
        private static double ExactUpperTail(int n, int k, int a, int b)
        {
            if (k <= 0) return 1;
            var c = b - a;
            BigInteger binomial = 1;
            for (int i = 0; i < k; i++) binomial = binomial * (n - i) / (i + 1);
            var term = binomial * BigInteger.Pow(a, k) * BigInteger.Pow(c, n - k);
            var sum = BigInteger.Zero;
            for (int i = k; i <= n; i++)
            {
                sum += term;
                if (i < n) term = term * (n - i) * a / ((i + 1) * (BigInteger)c);
            }
            if (sum.IsZero) return 0;
            return Math.Exp(BigInteger.Log(sum) - n * Math.Log(b));
        }

        private static void AssertRelative(double expected, double actual, double tolerance)
        {
            Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected),
                $"expected {expected:R}, got {actual:R} (relative error {Math.Abs(actual - expected) / Math.Abs(expected):G3})");
        }

        [Theory]
        [InlineData(10, 3, 1, 10)]
        [InlineData(20, 0, 1, 4)]
        [InlineData(20, 20, 1, 4)]
        [InlineData(20, 1, 1, 4)]
        [InlineData(40, 7, 74, 1000)]
        [InlineData(100, 20, 74, 1000)]
        [InlineData(400, 52, 924, 12523)]
        [InlineData(150, 9, 382, 5692)]
        [InlineData(60, 45, 628, 1114)]
        [InlineData(500, 100, 241, 1000)]
        [InlineData(500, 130, 241, 1000)]
        public void The_p_value_matches_the_exact_binomial_sum(int n, int k, int a, int b)
        {
            var p = (double)a / b;
            AssertRelative(ExactUpperTail(n, k, a, b), IngestFailureRateCalculator.UpperTailPValue(n, k, p), 1e-9);
        }

        [Fact]
        public void Small_cases_agree_with_hand_computed_values()
        {
            // P(X ≥ 1 | 2, 0.5) = 3/4; P(X ≥ 2 | 2, 0.5) = 1/4; P(X ≥ 3 | 3, 0.1) = 0.001.
            Assert.Equal(0.75, IngestFailureRateCalculator.UpperTailPValue(2, 1, 0.5), 12);
            Assert.Equal(0.25, IngestFailureRateCalculator.UpperTailPValue(2, 2, 0.5), 12);
            Assert.Equal(0.001, IngestFailureRateCalculator.UpperTailPValue(3, 3, 0.1), 15);
            // P(X ≥ 2 | 5, 0.2) = 1 − 0.8^5 − 5·0.2·0.8^4 = 0.26272
            Assert.Equal(0.26272, IngestFailureRateCalculator.UpperTailPValue(5, 2, 0.2), 12);
        }

        [Theory]
        [InlineData(10000, 840, 74, 1000)]   // a CT-heavy year, about 3.8 sd above the mean
        [InlineData(10000, 740, 74, 1000)]   // at the mean
        [InlineData(10000, 650, 74, 1000)]   // below the mean: the lower tail is summed
        [InlineData(5000, 2900, 564, 1000)]  // video fluoroscopy, high baseline
        public void Large_quarters_are_exact_without_overflow(int n, int k, int a, int b)
        {
            var p = (double)a / b;
            AssertRelative(ExactUpperTail(n, k, a, b), IngestFailureRateCalculator.UpperTailPValue(n, k, p), 1e-8);
        }

        [Fact]
        public void Extreme_tails_underflow_to_zero_not_to_NaN()
        {
            var far = IngestFailureRateCalculator.UpperTailPValue(50000, 20000, 0.074);
            Assert.Equal(0, far);
            var all = IngestFailureRateCalculator.UpperTailPValue(60000, 60000, 0.5);
            Assert.Equal(0, all);
            var none = IngestFailureRateCalculator.UpperTailPValue(60000, 1, 0.074);
            Assert.Equal(1, none, 12);
            // Far in the tail but representable: still exact in log space.
            var tail = IngestFailureRateCalculator.UpperTailPValue(50000, 5500, 0.074); // about 1e-180
            Assert.True(tail > 0 && tail < 1e-100, tail.ToString("R"));
        }

        [Fact]
        public void Consecutive_tails_differ_by_the_probability_of_k_on_both_sides_of_the_mean()
        {
            // Below the mean the tail is 1 − (lower sum), above it the upper sum: the two must join up.
            for (int k = 1300; k <= 1700; k += 37)
            {
                var upper = IngestFailureRateCalculator.UpperTailPValue(20000, k, 0.074);
                var next = IngestFailureRateCalculator.UpperTailPValue(20000, k + 1, 0.074);
                var pmf = Math.Exp(IngestFailureRateCalculator.LogBinomialPmf(20000, k, 0.074));
                AssertRelative(pmf, upper - next, 1e-8);
            }
        }

        [Fact]
        public void Degenerate_inputs_have_sensible_p_values()
        {
            Assert.Equal(1, IngestFailureRateCalculator.UpperTailPValue(0, 0, 0.1));
            Assert.Equal(0, IngestFailureRateCalculator.UpperTailPValue(10, 1, 0));
            Assert.Equal(1, IngestFailureRateCalculator.UpperTailPValue(10, 10, 1));
            Assert.Equal(0, IngestFailureRateCalculator.UpperTailPValue(10, 11, 0.5));
        }

        [Fact]
        public void Log_factorial_is_continuous_where_the_table_hands_over_to_Stirling()
        {
            double exact = 0;
            for (int n = 1; n <= 200; n++)
            {
                exact += Math.Log(n);
                Assert.Equal(exact, IngestFailureRateCalculator.LogFactorial(n), 10);
            }
        }

        [Fact]
        public void Historic_baselines_are_the_first_ingestion_rates()
        {
            var b = IngestGroup.HistoricBaselines;
            Assert.Equal(0.074, b[IngestGroup.CT], 3);
            Assert.Equal(0.067, b[IngestGroup.MR], 3);
            Assert.Equal(0.142, b[IngestGroup.PetNm], 3);
            Assert.Equal(0.564, b[IngestGroup.Video], 3);
            Assert.Equal(0.241, b[IngestGroup.Dental], 3);
        }

        [Fact]
        public void A_clearly_high_group_is_High_and_an_ordinary_one_Normal()
        {
            var calculator = new IngestFailureRateCalculator();
            calculator.AddCounts("CT", 400, 52);     // 13 % against 7.4 %
            calculator.AddCounts("MR", 150, 9);      // 6 % against 6.7 %
            calculator.AddCounts("PT", 10, 2);
            calculator.AddCounts("NM", 5, 1);        // PET+NM together: 15, 3
            var results = calculator.Results();
            Assert.Equal(IngestGroup.All, results.Select(r => r.Group));
            var ct = results.Single(r => r.Group == "CT");
            Assert.Equal(IngestFailureVerdict.High, ct.Verdict);
            Assert.Equal(ExactUpperTail(400, 52, 924, 12523), ct.PValue, 12);
            Assert.Equal(0.13, ct.Rate, 12);
            Assert.Equal(IngestFailureVerdict.Normal, results.Single(r => r.Group == "MR").Verdict);
            var pet = results.Single(r => r.Group == "PET+NM");
            Assert.Equal((15L, 3L), (pet.Attempted, pet.Failed));
            var video = results.Single(r => r.Group == "RF+XA");
            Assert.Equal((0L, 0L, 0d, 1d, IngestFailureVerdict.Normal), (video.Attempted, video.Failed, video.Rate, video.PValue, video.Verdict));
        }

        [Fact]
        public void Baselines_and_alpha_can_be_overridden()
        {
            var calculator = new IngestFailureRateCalculator(new[] { new KeyValuePair<string, double>("ct", 0.13) }, alpha: 0.6);
            calculator.AddCounts("CT", 400, 52);
            calculator.AddCounts("MR", 150, 9);
            var ct = calculator.Results().Single(r => r.Group == "CT");
            Assert.Equal(0.13, ct.BaselineRate);
            Assert.Equal(ExactUpperTail(400, 52, 13, 100), ct.PValue, 10);
            Assert.Equal(IngestFailureVerdict.High, ct.Verdict); // p ≈ 0.52 < 0.6
            Assert.Equal(IngestFailureVerdict.Normal, calculator.Results().Single(r => r.Group == "MR").Verdict); // p ≈ 0.68
            Assert.Throws<ArgumentException>(() => new IngestFailureRateCalculator(new[] { new KeyValuePair<string, double>("US", 0.1) }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new IngestFailureRateCalculator(alpha: 0));
        }

        [Fact]
        public void Impossible_counts_are_refused()
        {
            var calculator = new IngestFailureRateCalculator();
            Assert.Throws<ArgumentOutOfRangeException>(() => calculator.AddCounts("CT", 3, 4));
            Assert.Throws<ArgumentOutOfRangeException>(() => calculator.AddCounts("CT", -1, 0));
            Assert.Throws<ArgumentException>(() => calculator.AddCounts("US", 3, 1));
        }

        [Theory]
        [InlineData("CT", "CT")]
        [InlineData("CT\\SR", "CT")]
        [InlineData("CT\\PT", "PET+NM")]
        [InlineData("PT\\CT\\SR", "PET+NM")]
        [InlineData("MR\\CT", "MR")]
        [InlineData("NM", "PET+NM")]
        [InlineData("XA", "RF+XA")]
        [InlineData("RF\\PR", "RF+XA")]
        [InlineData("DX", "CR+DX")]
        [InlineData("IO", "CR+DX")]
        [InlineData("PET+NM", "PET+NM")]
        [InlineData("PET and NM", "PET+NM")]
        [InlineData("dental", "CR+DX")]
        [InlineData("SR", null)]
        [InlineData("", null)]
        public void Studies_fall_into_the_group_XNAT_would_file_them_under(string modalities, string? group)
        {
            Assert.Equal(group, IngestGroup.OfStudy(new[] { modalities }));
        }

        [Fact]
        public void Modalities_given_as_a_list_are_grouped_together()
        {
            Assert.Equal("PET+NM", IngestGroup.OfStudy(new[] { "CT", "PT" }));
            Assert.Equal("CT", IngestGroup.OfStudy(new[] { "SR", "CT", "KO" }));
        }

        [Theory]
        [InlineData("0.074", 0.074)]
        [InlineData("7.4%", 0.074)]
        [InlineData(" 56.4 % ", 0.564)]
        public void Rates_are_read_as_fractions_or_percentages(string text, double expected)
        {
            Assert.Equal(expected, IngestGroup.ParseRate(text, "test"), 12);
        }

        [Theory]
        [InlineData("7.4")]
        [InlineData("abc")]
        [InlineData("-0.1")]
        public void A_rate_that_is_not_a_fraction_is_refused(string text)
        {
            var error = Assert.Throws<FormatException>(() => IngestGroup.ParseRate(text, "-Baseline CT"));
            Assert.Contains("-Baseline CT", error.Message);
        }

        [Theory]
        [InlineData("Received", IngestOutcome.Succeeded)]
        [InlineData("RECEIVED", IngestOutcome.Succeeded)]
        [InlineData("completed", IngestOutcome.Succeeded)]
        [InlineData("FAILED", IngestOutcome.Failed)]
        [InlineData("Stale", IngestOutcome.Failed)]
        [InlineData("Timed out", IngestOutcome.Failed)]
        [InlineData("already-in-xnat", IngestOutcome.NotAttempted)]
        [InlineData("Skipped", IngestOutcome.NotAttempted)]
        public void Status_words_are_read_into_outcomes(string status, IngestOutcome expected)
        {
            Assert.True(IngestOutcomes.TryParse(status, out var outcome));
            Assert.Equal(expected, outcome);
        }

        [Theory]
        [InlineData("QUEUED")]
        [InlineData("ISSUED")]
        [InlineData("")]
        [InlineData(null)]
        public void Pending_or_unknown_statuses_are_not_outcomes(string? status)
        {
            Assert.False(IngestOutcomes.TryParse(status, out _));
        }
    }
}
