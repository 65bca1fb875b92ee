using System.Globalization;
using HandiImaging.TestPeers;

namespace HandiImaging.Bench.PacsQuery;

/// <summary>
/// A deterministic quarter's cohort: patients with 1–30 studies each (most have a handful, a long tail has many),
/// a first study somewhere in 2012–2024 and follow-ups after it, some on the same day (a PET-CT with its planning
/// CT, say). About 10.3 studies per patient on average, so 2,900 patients hold about 30,000 studies.
/// </summary>
public sealed class Cohort
{
    private static readonly (string Modality, int Weight, string Description)[] Modalities =
    {
        ("CT", 34, "CT NECK CONTRAST"), ("MR", 20, "MRI HEAD AND NECK"), ("PT", 14, "PET-CT WHOLE BODY"),
        ("CR", 10, "CHEST XRAY"), ("DX", 8, "OPG"), ("US", 9, "US NECK"), ("XA", 2, "ANGIO"), ("RF", 3, "BARIUM SWALLOW"),
    };

    private static readonly string[] Family = { "SMITH", "JONES", "TAYLOR", "BROWN", "WILSON", "EVANS", "THOMAS", "ROBERTS", "PATEL", "KHAN", "WALKER", "WRIGHT" };
    private static readonly string[] Given = { "ANNE", "JOHN", "MARY", "PETER", "SARAH", "DAVID", "EMMA", "JAMES", "ALI", "PRIYA", "TOM" };

    private Cohort(IReadOnlyList<string> patientIds, IReadOnlyList<TestStudy> studies, IReadOnlyDictionary<string, int> studiesPerPatient)
    {
        PatientIds = patientIds;
        Studies = studies;
        StudiesPerPatient = studiesPerPatient;
    }

    public IReadOnlyList<string> PatientIds { get; }
    public IReadOnlyList<TestStudy> Studies { get; }
    /// <summary>The truth each query's answer is checked against.</summary>
    public IReadOnlyDictionary<string, int> StudiesPerPatient { get; }

    public static Cohort Generate(int patientCount, int seed = 2900)
    {
        var random = new Random(seed);
        var firstDay = new DateTime(2012, 1, 1);
        var lastDay = new DateTime(2025, 6, 30);
        var totalWeight = Modalities.Sum(m => m.Weight);
        var ids = new List<string>(patientCount);
        var studies = new List<TestStudy>(patientCount * 11);
        var perPatient = new Dictionary<string, int>(patientCount, StringComparer.Ordinal);
        for (var p = 0; p < patientCount; p++)
        {
            // Hospital numbers are not sequential in real life; these are spread but unique and sortable.
            var id = "H" + (1_000_000 + p * 37 + random.Next(37)).ToString("D7", CultureInfo.InvariantCulture);
            ids.Add(id);
            var name = $"{Family[random.Next(Family.Length)]}^{Given[random.Next(Given.Length)]}";
            // Skewed towards few studies: 1 + floor(30·u^2.05) capped at 30 has mean ≈ 10.3.
            var count = Math.Min(30, 1 + (int)(30 * Math.Pow(random.NextDouble(), 2.05)));
            perPatient[id] = count;
            // Follow-ups weeks to months apart (exponential, mean 90 days), a fifth of them on the same day as the
            // previous study; the whole history placed at random inside 2012–2025.
            var gaps = new int[count];
            for (var s = 1; s < count; s++) gaps[s] = random.NextDouble() < 0.2 ? 0 : 1 + (int)(-90 * Math.Log(1 - random.NextDouble()));
            var span = gaps.Sum();
            var totalDays = (lastDay - firstDay).Days;
            if (span > totalDays)
            {
                for (var s = 1; s < count; s++) gaps[s] = gaps[s] * totalDays / span;
                span = gaps.Sum();
            }
            var date = firstDay.AddDays(random.Next(totalDays - span + 1));
            for (var s = 0; s < count; s++)
            {
                date = date.AddDays(gaps[s]);
                var pick = random.Next(totalWeight);
                var modality = Modalities[0];
                foreach (var m in Modalities)
                {
                    if (pick < m.Weight) { modality = m; break; }
                    pick -= m.Weight;
                }
                studies.Add(new TestStudy
                {
                    PatientId = id,
                    PatientName = name,
                    StudyInstanceUid = TestStudy.UidFor($"pacsbench/{seed}/{id}/{s}"),
                    StudyDate = date,
                    StudyTime = (70000 + random.Next(0, 120000)).ToString("D6", CultureInfo.InvariantCulture),
                    AccessionNumber = "RX" + (studies.Count + 10_000_000).ToString(CultureInfo.InvariantCulture),
                    StudyDescription = modality.Description,
                    Modality = modality.Modality,
                });
            }
        }
        return new Cohort(ids, studies, perPatient);
    }

    /// <summary>The distribution in one line: min, median, mean, max studies per patient, and the busiest single day.</summary>
    public string Describe()
    {
        var counts = StudiesPerPatient.Values.OrderBy(c => c).ToArray();
        var busiestDay = Studies.GroupBy(s => (s.PatientId, s.StudyDate)).Max(g => g.Count());
        return string.Create(CultureInfo.InvariantCulture,
            $"{PatientIds.Count} patients, {Studies.Count} studies (per patient: min {counts[0]}, median {counts[counts.Length / 2]}, mean {counts.Average():F1}, max {counts[^1]}; at most {busiestDay} on one patient-day); {Studies.Min(s => s.StudyDate):yyyy-MM-dd}..{Studies.Max(s => s.StudyDate):yyyy-MM-dd}");
    }
}
