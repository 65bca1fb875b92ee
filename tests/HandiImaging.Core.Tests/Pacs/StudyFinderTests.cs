using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HandiImaging.Core.Pacs;

namespace HandiImaging.Core.Tests.Pacs
{
    /// <summary>A PACS that caps answers: like Orthanc's LimitFindResults (final cancel) or a silent cap.</summary>
    internal sealed class CappedFakePacs : IStudyQueryExecutor
    {
        private readonly IReadOnlyList<PacsStudy> _studies;
        private readonly int _cap;
        private readonly bool _silent;
        public int Queries;
        public bool Disposed;
        public Func<StudyQuery, Exception?> FailWith = _ => null;

        public CappedFakePacs(IReadOnlyList<PacsStudy> studies, int cap, bool silent)
        {
            _studies = studies;
            _cap = cap;
            _silent = silent;
        }

        public Task<QueryCompleteness> QueryAsync(StudyQuery query, Action<PacsStudy> onStudy, Action<string> onWarning, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Interlocked.Increment(ref Queries);
            var failure = FailWith(query);
            if (failure != null) throw failure;
            var matches = _studies.Where(s => (query.PatientId is null || s.PatientId == query.PatientId)
                                              && (query.DateRange.IsAll || (s.StudyDate is { } d && query.DateRange.Contains(d)))).ToList();
            foreach (var s in matches.Take(_cap)) onStudy(s);
            var truncated = matches.Count > _cap;
            return Task.FromResult(truncated && !_silent ? QueryCompleteness.PossiblyTruncated : QueryCompleteness.Complete);
        }

        public Dictionary<string, string[]> SeriesModalities = new();
        public int ModalityQueries;

        public Task<IReadOnlyList<string>> QueryModalitiesAsync(string studyInstanceUid, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref ModalityQueries);
            return Task.FromResult<IReadOnlyList<string>>(SeriesModalities.TryGetValue(studyInstanceUid, out var m) ? m : Array.Empty<string>());
        }

        public void Dispose() => Disposed = true;
    }

    public class StudyFinderTests
    {
        private static readonly DateTime Today = new DateTime(2026, 11, 25);

        private static List<PacsStudy> RandomStudies(Random random, int count, string patient = "P1") =>
            Enumerable.Range(0, count).Select(i => new PacsStudy
            {
                PatientId = patient,
                StudyInstanceUid = $"1.2.826.0.1.{patient.GetHashCode() & 0xffff}.{i}",
                StudyDate = new DateTime(2000, 1, 1).AddDays(random.Next(0, 9000)),
            }).ToList();

        [Theory]
        [InlineData(1, false)]
        [InlineData(2, false)]
        [InlineData(3, true)]
        [InlineData(4, true)]
        public async Task A_capped_answer_is_completed_by_splitting(int seed, bool silentCap)
        {
            var random = new Random(seed);
            var studies = RandomStudies(random, random.Next(50, 400));
            // The cap must be at least the busiest day, or no split can help.
            var busiestDay = studies.GroupBy(s => s.StudyDate).Max(g => g.Count());
            var cap = Math.Max(busiestDay, random.Next(5, 40));
            var pacs = new CappedFakePacs(studies, cap, silentCap);
            var found = new List<PacsStudy>();
            var warnings = new List<string>();

            var count = await new StudyFinder(pacs, silentCap ? cap : 0, StudyFinder.DefaultEarliest, Today)
                .FindAsync(new StudyQuery { PatientId = "P1" }, found.Add, warnings.Add, CancellationToken.None);

            Assert.Equal(studies.Count, count);
            Assert.Equal(studies.Select(s => s.StudyInstanceUid).OrderBy(u => u), found.Select(s => s.StudyInstanceUid).OrderBy(u => u));
            Assert.Empty(warnings);
            Assert.True(pacs.Queries > 1);
        }

        [Fact]
        public async Task An_answer_under_the_cap_is_one_query()
        {
            var pacs = new CappedFakePacs(RandomStudies(new Random(5), 10), 100, silent: false);
            var found = new List<PacsStudy>();
            await new StudyFinder(pacs, 100, StudyFinder.DefaultEarliest, Today).FindAsync(new StudyQuery(), found.Add, _ => { }, default);
            Assert.Equal(10, found.Count);
            Assert.Equal(1, pacs.Queries);
        }

        [Fact]
        public async Task Missing_modalities_are_resolved_from_series_only_when_asked()
        {
            var studies = new List<PacsStudy>
            {
                new() { PatientId = "P1", StudyInstanceUid = "1.1", StudyDate = new DateTime(2024, 1, 1) },
                new() { PatientId = "P1", StudyInstanceUid = "1.2", StudyDate = new DateTime(2024, 1, 2), ModalitiesInStudy = new[] { "MR" } },
            };
            var pacs = new CappedFakePacs(studies, 100, false) { SeriesModalities = { ["1.1"] = new[] { "CT", "PT" } } };
            var plain = new List<PacsStudy>();
            await new StudyFinder(pacs, 0, StudyFinder.DefaultEarliest, Today).FindAsync(new StudyQuery(), plain.Add, _ => { }, default);
            Assert.Empty(plain.Single(s => s.StudyInstanceUid == "1.1").ModalitiesInStudy);
            Assert.Equal(0, pacs.ModalityQueries);

            var resolved = new List<PacsStudy>();
            await new StudyFinder(pacs, 0, StudyFinder.DefaultEarliest, Today, resolveModality: true).FindAsync(new StudyQuery(), resolved.Add, _ => { }, default);
            Assert.Equal(new[] { "CT", "PT" }, resolved.Single(s => s.StudyInstanceUid == "1.1").ModalitiesInStudy);
            Assert.Equal(new[] { "MR" }, resolved.Single(s => s.StudyInstanceUid == "1.2").ModalitiesInStudy);
            Assert.Equal(1, pacs.ModalityQueries); // only the study that lacked them
        }

        [Fact]
        public async Task A_modality_filter_holds_even_when_the_PACS_ignores_the_key()
        {
            // The fake ignores Modality like dcmqrscp does; the finder filters by the resolved modalities.
            var studies = new List<PacsStudy>
            {
                new() { PatientId = "P1", StudyInstanceUid = "1.1", StudyDate = new DateTime(2024, 1, 1) },
                new() { PatientId = "P1", StudyInstanceUid = "1.2", StudyDate = new DateTime(2024, 1, 2), ModalitiesInStudy = new[] { "MR" } },
                new() { PatientId = "P1", StudyInstanceUid = "1.3", StudyDate = new DateTime(2024, 1, 3), ModalitiesInStudy = new[] { "CT", "SR" } },
            };
            var pacs = new CappedFakePacs(studies, 100, false) { SeriesModalities = { ["1.1"] = new[] { "ct" } } };
            var found = new List<PacsStudy>();
            var count = await new StudyFinder(pacs, 0, StudyFinder.DefaultEarliest, Today).FindAsync(new StudyQuery { Modality = "CT" }, found.Add, _ => { }, default);
            Assert.Equal(new[] { "1.1", "1.3" }, found.Select(s => s.StudyInstanceUid).OrderBy(u => u));
            Assert.Equal(2, count);
        }

        [Fact]
        public async Task A_single_day_that_still_overflows_is_a_warning_not_a_loss_of_what_came()
        {
            var day = new DateTime(2024, 3, 4);
            var studies = Enumerable.Range(0, 7).Select(i => new PacsStudy { PatientId = "P1", StudyInstanceUid = "1.2." + i, StudyDate = day }).ToList();
            var warnings = new List<string>();
            var found = new List<PacsStudy>();
            await new StudyFinder(new CappedFakePacs(studies, 5, silent: false), 0, StudyFinder.DefaultEarliest, Today)
                .FindAsync(new StudyQuery { PatientId = "P1" }, found.Add, warnings.Add, default);
            Assert.Equal(5, found.Select(s => s.StudyInstanceUid).Distinct().Count());
            var warning = Assert.Single(warnings);
            Assert.Contains("20240304", warning);
            Assert.Contains("(5 studies)", warning);
        }
    }

    public class StudyQueryRunnerTests
    {
        private sealed class Sink : IStudyQuerySink
        {
            public readonly ConcurrentBag<(string Patient, string Uid)> Studies = new();
            public readonly ConcurrentBag<string> Completed = new();
            public readonly ConcurrentBag<(string Patient, Exception Error)> Failed = new();
            public void OnStudy(StudyQuery query, PacsStudy study) => Studies.Add((query.PatientId!, study.StudyInstanceUid));
            public void OnWarning(StudyQuery query, string message) { }
            public void OnNotice(StudyQuery query, string message) { }
            public void OnCompleted(StudyQuery query, int studyCount) => Completed.Add(query.PatientId!);
            public void OnFailed(StudyQuery query, Exception exception) => Failed.Add((query.PatientId!, exception));
        }

        private static (List<PacsStudy> Studies, BlockingCollection<StudyQuery> Queue) Cohort(int patients)
        {
            var studies = Enumerable.Range(0, patients).SelectMany(p => Enumerable.Range(0, 3).Select(i => new PacsStudy
            {
                PatientId = "P" + p,
                StudyInstanceUid = $"1.2.{p}.{i}",
                StudyDate = new DateTime(2020, 1, 1).AddDays(p + i),
            })).ToList();
            var queue = new BlockingCollection<StudyQuery>();
            for (var p = 0; p < patients; p++) queue.Add(new StudyQuery { PatientId = "P" + p });
            queue.CompleteAdding();
            return (studies, queue);
        }

        [Fact]
        public async Task Workers_reuse_their_executor_and_a_failure_costs_only_that_patient()
        {
            var (studies, queue) = Cohort(200);
            var created = new ConcurrentBag<CappedFakePacs>();
            var sink = new Sink();
            var runner = new StudyQueryRunner(() =>
            {
                var pacs = new CappedFakePacs(studies, 1000, silent: false) { FailWith = q => q.PatientId == "P17" ? new TimeoutException("no answer") : null };
                created.Add(pacs);
                return pacs;
            }, workers: 4, maxResultsPerQuery: 0, latest: new DateTime(2026, 11, 25));

            await runner.RunAsync(queue, sink, CancellationToken.None);

            Assert.Equal(199, sink.Completed.Count);
            var failure = Assert.Single(sink.Failed);
            Assert.Equal("P17", failure.Patient);
            Assert.IsType<TimeoutException>(failure.Error);
            Assert.Equal(199 * 3, sink.Studies.Count);
            // At most one executor per worker, plus one replacement after the failure; all closed at the end.
            Assert.InRange(created.Count, 1, 5);
            Assert.All(created, c => Assert.True(c.Disposed));
        }

        [Fact]
        public async Task Cancellation_stops_the_run()
        {
            var (studies, _) = Cohort(10);
            var queue = new BlockingCollection<StudyQuery>(); // never completed: only cancellation ends the run
            queue.Add(new StudyQuery { PatientId = "P1" });
            using var cts = new CancellationTokenSource();
            var runner = new StudyQueryRunner(() => new CappedFakePacs(studies, 1000, false), 2, 0, new DateTime(2026, 11, 25));
            var run = runner.RunAsync(queue, new Sink(), cts.Token);
            cts.CancelAfter(100);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(10)));
        }
    }
}
