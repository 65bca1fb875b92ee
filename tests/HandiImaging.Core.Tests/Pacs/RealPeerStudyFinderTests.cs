using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HandiImaging.Core.Pacs;
using HandiImaging.TestPeers;

namespace HandiImaging.Core.Tests.Pacs
{
    /// <summary>
    /// Wraps the real executor and records every C-FIND it ran, so a test can tell the PACS really capped an answer
    /// and that splitting (not luck) completed it.
    /// </summary>
    internal sealed class RecordingExecutor : IStudyQueryExecutor
    {
        private readonly IStudyQueryExecutor _inner;
        private readonly ConcurrentQueue<(StudyQuery Query, QueryCompleteness Completeness, int Received)> _log;

        public RecordingExecutor(IStudyQueryExecutor inner, ConcurrentQueue<(StudyQuery, QueryCompleteness, int)> log)
        {
            _inner = inner;
            _log = log;
        }

        public async Task<QueryCompleteness> QueryAsync(StudyQuery query, Action<PacsStudy> onStudy, Action<string> onWarning, CancellationToken cancellationToken)
        {
            var received = 0;
            var completeness = await _inner.QueryAsync(query, s =>
            {
                received++;
                onStudy(s);
            }, onWarning, cancellationToken).ConfigureAwait(false);
            _log.Enqueue((query, completeness, received));
            return completeness;
        }

        public Task<IReadOnlyList<string>> QueryModalitiesAsync(string studyInstanceUid, CancellationToken cancellationToken) =>
            _inner.QueryModalitiesAsync(studyInstanceUid, cancellationToken);

        public void Dispose() => _inner.Dispose();
    }

    /// <summary>Collects what the runner reports, per patient.</summary>
    internal sealed class CollectingSink : IStudyQuerySink
    {
        public readonly ConcurrentQueue<PacsStudy> Studies = new ConcurrentQueue<PacsStudy>();
        public readonly ConcurrentQueue<(string? PatientId, string Message)> Warnings = new ConcurrentQueue<(string?, string)>();
        public readonly ConcurrentQueue<(string? PatientId, Exception Error)> Failures = new ConcurrentQueue<(string?, Exception)>();
        public readonly ConcurrentDictionary<string, int> Completed = new ConcurrentDictionary<string, int>();

        public void OnStudy(StudyQuery query, PacsStudy study) => Studies.Enqueue(study);
        public void OnWarning(StudyQuery query, string message) => Warnings.Enqueue((query.PatientId, message));
        public readonly ConcurrentQueue<(string? PatientId, string Message)> Notices = new ConcurrentQueue<(string?, string)>();
        public void OnNotice(StudyQuery query, string message) => Notices.Enqueue((query.PatientId, message));
        public void OnCompleted(StudyQuery query, int studyCount) => Completed[query.PatientId ?? ""] = studyCount;
        public void OnFailed(StudyQuery query, Exception exception) => Failures.Enqueue((query.PatientId, exception));

        public List<string> UidsOf(string patientId) =>
            Studies.Where(s => s.PatientId == patientId).Select(s => s.StudyInstanceUid).OrderBy(u => u, StringComparer.Ordinal).ToList();
    }

    internal static class RealPeerRuns
    {
        public const string CallingAe = "HANDI";

        public static TestStudy Study(string patientId, string key, DateTime date, string modality = "CT", int series = 1) => new TestStudy
        {
            PatientId = patientId,
            PatientName = "TEST^" + patientId,
            StudyInstanceUid = TestStudy.UidFor("core-real-peer/" + patientId + "/" + key),
            StudyDate = date,
            AccessionNumber = "A" + key.Replace("-", ""),
            StudyDescription = modality + " " + key,
            Modality = modality,
            SeriesCount = series,
        };

        /// <summary>Studies of one patient: <c>perDay</c> maps each date to how many studies it has.</summary>
        public static IEnumerable<TestStudy> Spread(string patientId, params (DateTime Day, int Count)[] perDay) =>
            perDay.SelectMany(d => Enumerable.Range(0, d.Count).Select(i => Study(patientId, $"{d.Day:yyyyMMdd}-{i}", d.Day)));

        /// <summary>Runs one all-time query per patient through the runner (2 workers) over real associations.</summary>
        public static async Task<(CollectingSink Sink, List<(StudyQuery Query, QueryCompleteness Completeness, int Received)> Log)> RunAsync(
            PacsConnection connection, bool resolveModality, params StudyQuery[] queries)
        {
            var log = new ConcurrentQueue<(StudyQuery, QueryCompleteness, int)>();
            var sink = new CollectingSink();
            var runner = new StudyQueryRunner(() => new RecordingExecutor(new DicomStudyQueryExecutor(connection), log), workers: 2,
                connection.MaxResultsPerQuery, DateTime.Today, resolveModality);
            using var queue = new BlockingCollection<StudyQuery>();
            foreach (var q in queries) queue.Add(q);
            queue.CompleteAdding();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await runner.RunAsync(queue, sink, deadline.Token);
            Assert.Empty(sink.Failures);
            return (sink, log.ToList());
        }

        public static List<string> Uids(IEnumerable<TestStudy> studies) =>
            studies.Select(s => s.StudyInstanceUid).OrderBy(u => u, StringComparer.Ordinal).ToList();
    }

    /// <summary>Orthanc with LimitFindResults = 5: a PACS that really caps C-FIND answers (final status 0xFE00).</summary>
    public sealed class CappedOrthancFixture : IAsyncLifetime
    {
        public const int Cap = 5;
        public static readonly DateTime OverflowDay = new DateTime(2022, 2, 2);

        /// <summary>17 studies over six days, at most <see cref="Cap"/> on any one (4 on one day, exactly 5 on another).</summary>
        public static readonly TestStudy[] Spread = RealPeerRuns.Spread("CAPA",
            (new DateTime(2019, 3, 4), 1), (new DateTime(2020, 7, 1), 4), (new DateTime(2020, 7, 2), Cap),
            (new DateTime(2021, 11, 15), 3), (new DateTime(2023, 1, 10), 2), (new DateTime(2024, 5, 5), 2)).ToArray();

        /// <summary>12 studies, 7 of them on <see cref="OverflowDay"/>: more than the cap on one day.</summary>
        public static readonly TestStudy[] Overflowing = RealPeerRuns.Spread("CAPB",
            (new DateTime(2018, 8, 8), 2), (OverflowDay, 7), (new DateTime(2023, 9, 9), 3)).ToArray();

        /// <summary>3 studies: under the cap, answered whole by one query.</summary>
        public static readonly TestStudy[] Small = RealPeerRuns.Spread("CAPC", (new DateTime(2020, 1, 1), 1), (new DateTime(2021, 1, 1), 2)).ToArray();

        public OrthancPeer Peer { get; private set; } = null!;

        public PacsConnection Connection => new PacsConnection(Peer.Host, Peer.Port, Peer.AeTitle, RealPeerRuns.CallingAe) { TimeoutSeconds = 10 };

        public async Task InitializeAsync()
        {
            // Orthanc aborts callers not listed in DicomModalities: list our calling AE.
            Peer = await OrthancPeer.StartAsync(Spread.Concat(Overflowing).Concat(Small), new OrthancPeerOptions
            {
                LimitFindResults = Cap,
                Modalities = new Dictionary<string, int> { [RealPeerRuns.CallingAe] = 104 },
            });
        }

        public async Task DisposeAsync()
        {
            if (Peer != null) await Peer.DisposeAsync();
        }
    }

    public sealed class CappedOrthancStudyFinderTests : IClassFixture<CappedOrthancFixture>
    {
        private readonly CappedOrthancFixture _pacs;

        public CappedOrthancStudyFinderTests(CappedOrthancFixture pacs) => _pacs = pacs;

        [Fact]
        public async Task Every_study_comes_back_exactly_once_through_splitting_and_an_overflowing_day_is_warned_about()
        {
            var (sink, log) = await RealPeerRuns.RunAsync(_pacs.Connection, resolveModality: false,
                new StudyQuery { PatientId = "CAPA" }, new StudyQuery { PatientId = "CAPB" }, new StudyQuery { PatientId = "CAPC" });

            // The peer really capped: its first answer for CAPA stopped at the cap with a status other than success.
            var firstA = log.First(e => e.Query.PatientId == "CAPA" && e.Query.DateRange.IsAll);
            Assert.Equal(QueryCompleteness.PossiblyTruncated, firstA.Completeness);
            Assert.Equal(CappedOrthancFixture.Cap, firstA.Received);
            Assert.All(log, e => Assert.InRange(e.Received, 0, CappedOrthancFixture.Cap));

            // CAPA: all 17 studies, each exactly once, no warning (no day holds more than the cap).
            Assert.Equal(RealPeerRuns.Uids(CappedOrthancFixture.Spread), sink.UidsOf("CAPA"));
            Assert.Equal(CappedOrthancFixture.Spread.Length, sink.Completed["CAPA"]);
            Assert.True(log.Count(e => e.Query.PatientId == "CAPA") > 1, "CAPA must have needed more than one C-FIND");
            Assert.DoesNotContain(sink.Warnings, w => w.PatientId == "CAPA");

            // CAPB: the other days whole; exactly the cap's worth of the overflowing day, no duplicates; one warning naming that day.
            var foundB = sink.UidsOf("CAPB");
            Assert.Equal(foundB.Count, foundB.Distinct().Count());
            Assert.Subset(new HashSet<string>(RealPeerRuns.Uids(CappedOrthancFixture.Overflowing)), new HashSet<string>(foundB));
            var overflowDay = CappedOrthancFixture.Overflowing.Where(s => s.StudyDate == CappedOrthancFixture.OverflowDay).ToList();
            var otherDays = CappedOrthancFixture.Overflowing.Except(overflowDay).ToList();
            Assert.Subset(new HashSet<string>(foundB), new HashSet<string>(RealPeerRuns.Uids(otherDays)));
            Assert.Equal(CappedOrthancFixture.Cap, foundB.Count(u => overflowDay.Any(s => s.StudyInstanceUid == u)));
            var warning = Assert.Single(sink.Warnings, w => w.PatientId == "CAPB");
            Assert.Contains("20220202", warning.Message);
            Assert.Contains("may still be truncated", warning.Message);

            // CAPC: under the cap, one query, no split.
            Assert.Equal(RealPeerRuns.Uids(CappedOrthancFixture.Small), sink.UidsOf("CAPC"));
            Assert.Single(log, e => e.Query.PatientId == "CAPC");
            Assert.DoesNotContain(sink.Warnings, w => w.PatientId == "CAPC");
        }

        [Fact]
        public async Task A_date_window_on_a_capped_peer_is_completed_within_the_window()
        {
            // 2020-07-01..2021-12-31 holds 4 + 5 + 3 = 12 CAPA studies: more than the cap, so the window is split.
            var window = new StudyDateRange(new DateTime(2020, 7, 1), new DateTime(2021, 12, 31));
            var (sink, log) = await RealPeerRuns.RunAsync(_pacs.Connection, resolveModality: false, new StudyQuery { PatientId = "CAPA", DateRange = window });

            var expected = CappedOrthancFixture.Spread.Where(s => window.Contains(s.StudyDate)).ToList();
            Assert.Equal(12, expected.Count);
            Assert.Equal(RealPeerRuns.Uids(expected), sink.UidsOf("CAPA"));
            Assert.Empty(sink.Warnings);
            Assert.All(log, e => Assert.True(e.Query.DateRange.From >= window.From && e.Query.DateRange.To <= window.To,
                $"C-FIND for {e.Query.DateRange} left the window {window}"));
        }
    }

    /// <summary>dcmqrscp: no cap of its own (MaxResultsPerQuery simulates a silent one) and no ModalitiesInStudy.</summary>
    public sealed class DcmqrscpFinderFixture : IAsyncLifetime
    {
        /// <summary>23 studies over nine days, at most 3 a day.</summary>
        public static readonly TestStudy[] Silent = RealPeerRuns.Spread("SILENT",
            (new DateTime(2015, 5, 5), 3), (new DateTime(2016, 6, 6), 2), (new DateTime(2017, 7, 7), 3), (new DateTime(2018, 8, 8), 1),
            (new DateTime(2019, 9, 9), 3), (new DateTime(2020, 10, 10), 3), (new DateTime(2021, 11, 11), 2), (new DateTime(2022, 12, 12), 3),
            (new DateTime(2024, 1, 1), 3)).ToArray();

        /// <summary>Three studies of different modalities, one with two series.</summary>
        public static readonly TestStudy[] Modalities =
        {
            RealPeerRuns.Study("MODS", "ct", new DateTime(2023, 1, 5), "CT", series: 2),
            RealPeerRuns.Study("MODS", "mr", new DateTime(2023, 2, 5), "MR"),
            RealPeerRuns.Study("MODS", "pt", new DateTime(2023, 3, 5), "PT"),
        };

        public DcmqrscpPeer Peer { get; private set; } = null!;

        public PacsConnection Connection(int maxResultsPerQuery = 0) =>
            new PacsConnection(Peer.Host, Peer.Port, Peer.AeTitle, RealPeerRuns.CallingAe) { TimeoutSeconds = 10, MaxResultsPerQuery = maxResultsPerQuery };

        public async Task InitializeAsync() => Peer = await DcmqrscpPeer.StartAsync(Silent.Concat(Modalities));

        public async Task DisposeAsync()
        {
            if (Peer != null) await Peer.DisposeAsync();
        }
    }

    public sealed class DcmqrscpStudyFinderTests : IClassFixture<DcmqrscpFinderFixture>
    {
        private readonly DcmqrscpFinderFixture _pacs;

        public DcmqrscpStudyFinderTests(DcmqrscpFinderFixture pacs) => _pacs = pacs;

        [Fact]
        public async Task An_answer_reaching_MaxResultsPerQuery_is_split_until_every_study_is_found_once()
        {
            var (sink, log) = await RealPeerRuns.RunAsync(_pacs.Connection(maxResultsPerQuery: 4), resolveModality: false, new StudyQuery { PatientId = "SILENT" });

            Assert.Equal(RealPeerRuns.Uids(DcmqrscpFinderFixture.Silent), sink.UidsOf("SILENT"));
            Assert.Equal(DcmqrscpFinderFixture.Silent.Length, sink.Completed["SILENT"]);
            Assert.Empty(sink.Warnings);
            // dcmqrscp answers whole (final success), so only the count could have triggered the splits.
            Assert.All(log, e => Assert.Equal(QueryCompleteness.Complete, e.Completeness));
            var whole = Assert.Single(log, e => e.Query.DateRange.IsAll);
            Assert.Equal(DcmqrscpFinderFixture.Silent.Length, whole.Received);
            Assert.Contains(log, e => !e.Query.DateRange.IsAll && e.Received > 0 && e.Received < 4);
            // No answer that reached the cap was left unsplit: every such range had parts queried after it.
            foreach (var capped in log.Where(e => e.Received >= 4))
                Assert.Contains(log, e => !e.Query.DateRange.Equals(capped.Query.DateRange) && Inside(e.Query.DateRange, capped.Query.DateRange));
        }

        [Fact]
        public async Task Without_a_known_cap_one_query_returns_everything()
        {
            var (sink, log) = await RealPeerRuns.RunAsync(_pacs.Connection(), resolveModality: false, new StudyQuery { PatientId = "SILENT" });

            Assert.Equal(RealPeerRuns.Uids(DcmqrscpFinderFixture.Silent), sink.UidsOf("SILENT"));
            Assert.Single(log);
        }

        [Fact]
        public async Task ModalitiesInStudy_is_left_out_by_dcmqrscp_and_filled_in_by_ResolveModality()
        {
            var (plain, _) = await RealPeerRuns.RunAsync(_pacs.Connection(), resolveModality: false, new StudyQuery { PatientId = "MODS" });
            Assert.Equal(3, plain.Studies.Count);
            Assert.All(plain.Studies, s => Assert.Empty(s.ModalitiesInStudy));

            var (resolved, _) = await RealPeerRuns.RunAsync(_pacs.Connection(), resolveModality: true, new StudyQuery { PatientId = "MODS" });
            var byUid = resolved.Studies.ToDictionary(s => s.StudyInstanceUid);
            Assert.Equal(3, byUid.Count);
            foreach (var study in DcmqrscpFinderFixture.Modalities)
                Assert.Equal(new[] { study.Modality }, byUid[study.StudyInstanceUid].ModalitiesInStudy);
        }

        [Fact]
        public async Task A_modality_filter_keeps_only_studies_with_that_modality_on_a_peer_that_ignores_the_key()
        {
            var (sink, _) = await RealPeerRuns.RunAsync(_pacs.Connection(), resolveModality: false, new StudyQuery { PatientId = "MODS", Modality = "MR" });

            var study = Assert.Single(sink.Studies);
            Assert.Equal(DcmqrscpFinderFixture.Modalities[1].StudyInstanceUid, study.StudyInstanceUid);
            Assert.Equal(new[] { "MR" }, study.ModalitiesInStudy);
        }

        private static bool Inside(StudyDateRange inner, StudyDateRange outer) =>
            (outer.From is null || (inner.From is { } f && f >= outer.From)) && (outer.To is null || (inner.To is { } t && t <= outer.To));
    }
}
