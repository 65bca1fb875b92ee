using System;
using System.Collections.Generic;

namespace HandiImaging.Core.Pacs
{
    /// <summary>What the relevance rules decided for a study.</summary>
    public enum StudyDecision
    {
        Include,
        Exclude,
        Review,
    }

    /// <summary>
    /// One study as PACS reported it (C-FIND, Study Root, STUDY level). Property names match the parameters of
    /// the cmdlets that consume studies, so objects bind by property name down a pipeline.
    /// </summary>
    public sealed record PacsStudy
    {
        public string PatientId { get; init; } = "";
        public string? PatientName { get; init; }
        /// <summary>StudyDate (date only); null when PACS sent none or an unreadable one.</summary>
        public DateTime? StudyDate { get; init; }
        /// <summary>StudyTime as PACS sent it (HHmmss.ffffff), trimmed.</summary>
        public string? StudyTime { get; init; }
        public string? AccessionNumber { get; init; }
        public string? StudyDescription { get; init; }
        public string StudyInstanceUid { get; init; } = "";
        public IReadOnlyList<string> ModalitiesInStudy { get; init; } = Array.Empty<string>();
        public int? NumberOfSeries { get; init; }
        public int? NumberOfInstances { get; init; }
        /// <summary>Set by rule selection; null until a rule set has seen the study.</summary>
        public StudyDecision? Decision { get; init; }
        /// <summary>The rule entry (as written in the rules file) that decided; null for Review.</summary>
        public string? MatchedRule { get; init; }
    }
}
