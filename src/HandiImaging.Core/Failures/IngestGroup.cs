using System;
using System.Collections.Generic;
using System.Globalization;

namespace HandiImaging.Core.Failures
{
    /// <summary>
    /// The five groups the procedure compares ingestion failure rates in, with the historic rates of the first
    /// full ingestion (domain.md: failures / (failures + sessions in XNAT)).
    /// </summary>
    public static class IngestGroup
    {
        public const string CT = "CT";
        public const string MR = "MR";
        public const string PetNm = "PET+NM";
        public const string Video = "RF+XA";
        public const string Dental = "CR+DX";

        /// <summary>The groups in report order.</summary>
        public static readonly IReadOnlyList<string> All = new[] { CT, MR, PetNm, Video, Dental };

        /// <summary>The historic baseline of each group: failures / (failures + sessions in XNAT) of the first full ingestion.</summary>
        public static readonly IReadOnlyDictionary<string, double> HistoricBaselines = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [CT] = 924.0 / (924 + 11599),
            [MR] = 382.0 / (382 + 5310),
            [PetNm] = 313.0 / (313 + 1891),
            [Video] = 628.0 / (628 + 486),
            [Dental] = 916.0 / (916 + 2885),
        };

        // A study with several modalities lands in the first of these XNAT would make its session of:
        // a PET/CT is a PET session, an MR with a CT localiser an MR session.
        private static readonly string[] Precedence = { PetNm, MR, CT, Video, Dental };

        private static readonly Dictionary<string, string> ByModality = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["CT"] = CT,
            ["MR"] = MR,
            ["PT"] = PetNm, ["PET"] = PetNm, ["NM"] = PetNm,
            ["RF"] = Video, ["XA"] = Video,
            // IO (intra-oral) and PX (panoramic) are the dental modalities beside CR and DX.
            ["CR"] = Dental, ["DX"] = Dental, ["IO"] = Dental, ["PX"] = Dental,
        };

        private static readonly Dictionary<string, string> ByName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [CT] = CT, [MR] = MR, [PetNm] = PetNm, [Video] = Video, [Dental] = Dental,
            ["PET and NM"] = PetNm, ["PET/NM"] = PetNm, ["NM+PET"] = PetNm,
            ["RF/XA"] = Video, ["XA+RF"] = Video, ["video"] = Video, ["video fluoroscopy"] = Video, ["video swallow"] = Video,
            ["CR/DX"] = Dental, ["DX+CR"] = Dental, ["dental"] = Dental, ["dental x-ray"] = Dental,
        };

        /// <summary>The group a group name or a modality code names (CT, PT, "PET+NM", "dental" …), or null.</summary>
        public static string? Resolve(string? nameOrModality)
        {
            var key = (nameOrModality ?? "").Trim();
            if (key.Length == 0) return null;
            if (ByName.TryGetValue(key, out var group)) return group;
            return ByModality.TryGetValue(key, out group) ? group : null;
        }

        /// <summary>
        /// The group of a study from its modalities (each entry may itself be a DICOM multi-value "CT\SR"); modalities
        /// outside the groups (SR, PR, KO, OT …) are ignored; null when none is in a group.
        /// </summary>
        public static string? OfStudy(IEnumerable<string?> modalities)
        {
            var found = new HashSet<string>(StringComparer.Ordinal);
            foreach (var value in modalities)
            {
                if (value == null) continue;
                foreach (var part in value.Split('\\', ',', ';', '/', ' '))
                {
                    var group = Resolve(part);
                    if (group != null) found.Add(group);
                }
            }
            foreach (var group in Precedence)
                if (found.Contains(group)) return group;
            return null;
        }

        /// <summary>Reads a baseline rate: a fraction 0–1 (0.074) or a percentage written with % ("7.4%").</summary>
        /// <exception cref="FormatException">The value is not a rate.</exception>
        public static double ParseRate(object? value, string what)
        {
            double rate;
            switch (value)
            {
                case double d: rate = d; break;
                case float f: rate = f; break;
                case decimal m: rate = (double)m; break;
                case int i: rate = i; break;
                case long l: rate = l; break;
                case string s:
                    var text = s.Trim();
                    var percent = text.EndsWith("%", StringComparison.Ordinal);
                    if (percent) text = text.Substring(0, text.Length - 1).Trim();
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out rate))
                        throw new FormatException($"{what}: '{s}' is not a rate; give a fraction such as 0.074 or a percentage such as '7.4%'.");
                    if (percent) rate /= 100;
                    break;
                default:
                    throw new FormatException($"{what}: {(value == null ? "nothing" : "a " + value.GetType().Name)} is not a rate; give a fraction such as 0.074 or a percentage such as '7.4%'.");
            }
            if (double.IsNaN(rate) || rate < 0 || rate > 1)
                throw new FormatException($"{what}: {rate.ToString(CultureInfo.InvariantCulture)} is not between 0 and 1; give a fraction (0.074) or a percentage with % ('7.4%').");
            return rate;
        }
    }
}
