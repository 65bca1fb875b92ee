using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using HandiImaging.Core.Demo;

namespace HandiImaging.Core.Tests.Failures
{
    /// <summary>Random failure records for property tests: realistic IDs plus the awkward values real data has.</summary>
    internal static class FailureTestData
    {
        private static readonly string[] Descriptions =
        {
            "CT Neck", "CT NECK", "MR Head and Neck, with contrast", "PET-CT, skull base to mid thigh, FDG", "XR OPG",
            "VF Swallow", "CT  Chest  ", " leading space", "trailing space ", "say \"hi\": now", "a\"\"b", "x\\y",
            "{braces}", "[brackets]", "colon: yes", "tab\there", "comma, and \"quote\"", "'single'", "O'Brien", "null",
            "123", "0456", "Café crème", "line\nbreak", "", "CT Neck.", "semi;colon", "x\"\":y", "\"\"\"", ",", ",,",
        };

        public static List<DemoFailure> Records(int seed, int count, double placeholderRate = 0.03, double repeatRate = 0.05)
        {
            var rng = new Random(seed);
            var list = new List<DemoFailure>();
            for (var i = 0; i < count; i++)
            {
                if (list.Count > 0 && rng.NextDouble() < repeatRate)
                {
                    list.Add(list[rng.Next(list.Count)]);
                    continue;
                }
                var hospital = rng.Next(10) switch
                {
                    0 => "0" + rng.Next(100000, 999999).ToString(CultureInfo.InvariantCulture),
                    1 => rng.Next(1000000, 9999999).ToString(CultureInfo.InvariantCulture),
                    2 when rng.Next(5) == 0 => "",
                    _ => "H" + rng.Next(1000000, 9999999).ToString(CultureInfo.InvariantCulture),
                };
                var accession = rng.Next(4) switch
                {
                    0 => "0" + rng.Next(1000, 99999999).ToString(CultureInfo.InvariantCulture),
                    1 => "RJZ" + rng.Next(1000000, 9999999).ToString(CultureInfo.InvariantCulture),
                    _ => rng.Next(10000000, 99999999).ToString(CultureInfo.InvariantCulture),
                };
                var date = rng.NextDouble() < placeholderRate ? "2099-01-01"
                    : rng.Next(30) == 0 ? ""
                    : new DateTime(2005, 1, 1).AddDays(rng.Next(7000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                var uid = rng.Next(8) == 0 ? "" : "1.2.826.0.1.3680043.8.498." + rng.Next(1, int.MaxValue).ToString(CultureInfo.InvariantCulture) + "." + i.ToString(CultureInfo.InvariantCulture);
                list.Add(new DemoFailure(hospital, accession, date, Descriptions[rng.Next(Descriptions.Length)], uid));
            }
            return list;
        }

        /// <summary>What the reader must produce: placeholders dropped, exact repeats collapsed, order kept.</summary>
        public static List<DemoFailure> Expected(IEnumerable<DemoFailure> records)
        {
            var seen = new HashSet<DemoFailure>();
            var result = new List<DemoFailure>();
            foreach (var r in records)
            {
                if (r.StudyDate == "2099-01-01") continue;
                if (seen.Add(r)) result.Add(r);
            }
            return result;
        }

        public static void InCulture(string name, Action action)
        {
            var before = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
            try
            {
                CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(name);
                action();
            }
            finally
            {
                (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = before;
            }
        }
    }
}
