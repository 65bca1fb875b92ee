using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HandiImaging.Core.IO;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Commands
{
    /// <summary>
    /// Turns pipeline input into a <see cref="PacsStudy"/>: a study as is, or any object (an Import-Csv row, a
    /// failure record) read by property name — StudyDescription (or Description), StudyDate (or Date; a DateTime or
    /// text as yyyy-MM-dd, yyyyMMdd or dd/MM/yyyy), AccessionNumber, StudyInstanceUid (or UID), PatientId (or
    /// HospitalId), ModalitiesInStudy (or Modality; a list, or text split on \ , or /), Decision, MatchedRule.
    /// </summary>
    internal static class StudyInput
    {
        public static bool TryConvert(PSObject? input, out PacsStudy study, out string problem)
        {
            study = new PacsStudy();
            problem = "";
            if (input?.BaseObject is PacsStudy ready)
            {
                study = ready;
                return true;
            }
            if (input is null || input.BaseObject is string || input.BaseObject is ValueType)
            {
                problem = "the input is not a study: pass PacsStudy objects or rows with a StudyDescription column";
                return false;
            }
            var description = Property(input, "StudyDescription", "Description");
            if (description is null)
            {
                problem = "the input has no StudyDescription (or Description) property";
                return false;
            }
            DateTime? date = null;
            var dateValue = Property(input, "StudyDate", "Date");
            if (dateValue is DateTime dt) date = dt.Date;
            else if (dateValue != null && dateValue.ToString().Trim().Length > 0)
            {
                if (!DateValue.TryParseUser(dateValue.ToString(), out var parsed))
                {
                    problem = DateValue.Problem(dateValue.ToString(), "StudyDate");
                    return false;
                }
                date = parsed;
            }
            StudyDecision? decision = null;
            if (Property(input, "Decision") is object decisionValue && Enum.TryParse(decisionValue.ToString(), true, out StudyDecision d)) decision = d;
            study = new PacsStudy
            {
                PatientId = Text(Property(input, "PatientId", "HospitalId")) ?? "",
                StudyDate = date,
                AccessionNumber = Text(Property(input, "AccessionNumber", "Accession")),
                StudyDescription = Text(description),
                StudyInstanceUid = Text(Property(input, "StudyInstanceUid", "UID")) ?? "",
                ModalitiesInStudy = Modalities(Property(input, "ModalitiesInStudy", "Modality", "Modalities")),
                Decision = decision,
                MatchedRule = Text(Property(input, "MatchedRule")),
            };
            return true;
        }

        private static object? Property(PSObject input, params string[] names)
        {
            foreach (var name in names)
            {
                var property = input.Properties[name];
                if (property != null) return property.Value is PSObject wrapped ? wrapped.BaseObject : property.Value ?? "";
            }
            return null;
        }

        private static string? Text(object? value) => value?.ToString();

        private static IReadOnlyList<string> Modalities(object? value)
        {
            if (value is null) return Array.Empty<string>();
            if (value is string text)
                return text.Split(new[] { '\\', ',', '/' }, StringSplitOptions.RemoveEmptyEntries).Select(m => m.Trim()).Where(m => m.Length > 0).ToArray();
            if (value is IEnumerable list)
                return list.Cast<object?>().Select(m => (m is PSObject p ? p.BaseObject : m)?.ToString()?.Trim() ?? "").Where(m => m.Length > 0).ToArray();
            return new[] { value.ToString() };
        }
    }
}
