using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using HandiImaging.Core.Pacs;
using HandiImaging.Dicom;
using HandiImaging.Dicom.Tests.Fakes;
using HandiImaging.TestPeers;
using static HandiImaging.Dicom.Tests.Fakes.RawDataset;

namespace HandiImaging.Core.Tests.Pacs
{
    /// <summary>
    /// The real executor and runner against the scripted SCP: each PACS fault the issue lists ends in the right
    /// data or a precise per-patient error, and none stops the run unless no query can work.
    /// </summary>
    public sealed class PacsFaultTests
    {
        private static readonly StudyQueryLimits FastRetries = new StudyQueryLimits { RetryDelay = TimeSpan.FromMilliseconds(20) };

        private static PacsConnection Connection(FakeScp scp, int throttle = 1) =>
            new PacsConnection("127.0.0.1", scp.Port, "FAKE", "HANDI") { TimeoutSeconds = 5, ThrottleLimit = throttle };

        private static DicomDataset Match(string patientId, string uid, string date = "20240101") => new DicomDataset()
            .Set(DicomTags.PatientId, patientId).Set(DicomTags.StudyInstanceUid, uid).Set(DicomTags.StudyDate, date);

        /// <summary>A PACS holding <paramref name="studies"/>: answers by patient ID (exact), as a real one would.</summary>
        private static FindAnswer Holding(DicomDataset identifier, params (string Patient, string Uid)[] studies) =>
            FindAnswer.Of(studies.Where(s => s.Patient == identifier.GetString(DicomTags.PatientId)).Select(s => Match(s.Patient, s.Uid)).ToArray());

        private static async Task<CollectingSink> RunAsync(FakeScp scp, StudyQueryLimits? limits = null, int throttle = 1, int maxResults = 0,
            params string[] patients)
        {
            var connection = Connection(scp, throttle) with { MaxResultsPerQuery = maxResults };
            var sink = new CollectingSink();
            var runner = new StudyQueryRunner(() => new DicomStudyQueryExecutor(connection), throttle, maxResults, new DateTime(2026, 1, 1),
                limits: limits ?? FastRetries);
            using var queue = new BlockingCollection<StudyQuery>();
            foreach (var p in patients) queue.Add(new StudyQuery { PatientId = p });
            queue.CompleteAdding();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await runner.RunAsync(queue, sink, deadline.Token);
            return sink;
        }

        [Fact]
        public async Task An_abort_on_the_first_association_is_retried_on_a_new_one()
        {
            await using var scp = new FakeScp(async (c, index) =>
            {
                await c.AcceptAsync();
                if (index == 0)
                {
                    await c.ReadMessageAsync();
                    await c.SendAsync(new Dicom.Pdu.AbortPdu(2, 0));
                    return;
                }
                await c.ServeFindsAsync(id => Holding(id, ("P1", "1.1"), ("P2", "1.2")));
            });

            var sink = await RunAsync(scp, patients: new[] { "P1", "P2" });

            Assert.Empty(sink.Failures);
            Assert.Equal(new[] { "1.1" }, sink.UidsOf("P1"));
            Assert.Equal(new[] { "1.2" }, sink.UidsOf("P2"));
            Assert.Equal(2, scp.Connections);
            Assert.Contains(sink.Notices, n => n.Message.Contains("attempt 2 of 3") && n.Message.Contains("A-ABORT"));
        }

        [Fact]
        public async Task A_transient_rejection_at_the_association_limit_is_retried_and_the_run_goes_on_with_fewer_associations()
        {
            await using var scp = new FakeScp(async (c, index) =>
            {
                if (index == 1)
                {
                    await c.RejectAsync(2, 3, 2); // transient, presentation layer, local limit exceeded
                    return;
                }
                await c.AcceptAsync();
                await c.ServeFindsAsync(id => Holding(id, Enumerable.Range(0, 30).Select(i => ("P" + i, "1." + i)).ToArray()));
            });
            var patients = Enumerable.Range(0, 30).Select(i => "P" + i).ToArray();
            var connection = Connection(scp, throttle: 3);
            var sink = new CollectingSink();
            var runner = new StudyQueryRunner(() => new DicomStudyQueryExecutor(connection), 3, 0, new DateTime(2026, 1, 1), limits: FastRetries);
            using var queue = new BlockingCollection<StudyQuery>();
            foreach (var p in patients) queue.Add(new StudyQuery { PatientId = p });
            queue.CompleteAdding();

            await runner.RunAsync(queue, sink, CancellationToken.None);

            Assert.Empty(sink.Failures);
            Assert.Equal(30, sink.Completed.Count);
            Assert.Contains(sink.Warnings, w => w.Message.Contains("limit of simultaneous associations") && w.Message.Contains("going on with 2 instead of 3"));
            Assert.Equal(2, runner.ActiveWorkers);
        }

        [Fact]
        public async Task Aborts_of_every_first_request_mean_an_unregistered_caller_only_after_five_patients_and_never_after_a_success()
        {
            await using var scp = new FakeScp(async (c, _) =>
            {
                await c.AcceptAsync();
                await c.ReadMessageAsync();
                await c.SendAsync(new Dicom.Pdu.AbortPdu(0, 0));
            });

            var sink = await RunAsync(scp, patients: Enumerable.Range(1, 6).Select(i => "P" + i).ToArray());

            Assert.Equal(6, sink.Failures.Count);
            Assert.All(sink.Failures, f => Assert.True(((DicomAssociationAbortedException)f.Error).OnFirstRequest));
            Assert.Equal(6 * 3, scp.Connections); // every patient had its retries
            var detector = new SettingsProblemDetector();
            var verdicts = sink.Failures.Select(f => detector.IsSettingsProblem(f.Error)).ToList();
            Assert.Equal(new[] { false, false, false, false, true, true }, verdicts);

            var afterSuccess = new SettingsProblemDetector();
            afterSuccess.OnSucceeded();
            Assert.All(sink.Failures, f => Assert.False(afterSuccess.IsSettingsProblem(f.Error)));
        }

        [Theory]
        [InlineData(1, 1, 7, true)]   // permanent: called AE not recognised
        [InlineData(1, 1, 3, true)]   // permanent: calling AE not recognised
        [InlineData(2, 1, 1, false)]  // transient
        [InlineData(1, 3, 2, false)]  // the association limit, even when marked permanent
        public void Only_permanent_rejections_stop_a_run(byte result, byte source, byte reason, bool stops)
        {
            var rejection = new DicomAssociationRejectedException("rejected", result, source, reason);

            Assert.Equal(stops, new SettingsProblemDetector().IsSettingsProblem(rejection));
            Assert.Equal(!stops, PacsFaults.IsTransient(rejection));
        }

        [Fact]
        public async Task A_permanent_rejection_is_not_retried()
        {
            await using var scp = new FakeScp(async (c, _) => await c.RejectAsync(1, 1, 3));

            var sink = await RunAsync(scp, patients: "P1");

            var failure = Assert.Single(sink.Failures);
            Assert.IsType<DicomAssociationRejectedException>(failure.Error);
            Assert.Equal(1, scp.Connections);
        }

        [Fact]
        public async Task Out_of_resources_with_no_matches_is_a_refusal_retried_a_bounded_number_of_times_never_split()
        {
            var finds = 0;
            await using var scp = new FakeScp(async (c, _) =>
            {
                await c.AcceptAsync();
                await c.ServeFindsAsync(_ =>
                {
                    Interlocked.Increment(ref finds);
                    return FindAnswer.None(0xA700, "too many matches");
                });
            });

            var sink = await RunAsync(scp, patients: new[] { "P1" });

            var failure = Assert.Single(sink.Failures);
            Assert.Equal("P1", failure.PatientId);
            var refused = Assert.IsType<PacsQueryFailedException>(failure.Error);
            Assert.Contains("out of resources; this is not a truncated answer", refused.Message);
            Assert.Contains("PACS said: too many matches", refused.Message);
            Assert.Equal(3, finds);
        }

        [Fact]
        public async Task Out_of_resources_after_matches_is_a_cap_completed_by_splitting()
        {
            var all = new[] { ("P1", "1.1", "20100101"), ("P1", "1.2", "20150101"), ("P1", "1.3", "20200101") };
            await using var scp = new FakeScp(async (c, _) =>
            {
                await c.AcceptAsync();
                await c.ServeFindsAsync(id =>
                {
                    var range = StudyDateRange.Parse(id.GetString(DicomTags.StudyDate) ?? "");
                    var matching = all.Where(s => range.Contains(DateTime.ParseExact(s.Item3, "yyyyMMdd", null))).ToList();
                    // Caps at 2 matches, then says it is out of resources.
                    var sent = matching.Take(2).Select(s => Match(s.Item1, s.Item2, s.Item3)).ToArray();
                    return FindAnswer.Of(sent) with { FinalStatus = matching.Count > 2 ? (ushort)0xA700 : (ushort)0 };
                });
            });

            var sink = await RunAsync(scp, patients: "P1");

            Assert.Empty(sink.Failures);
            Assert.Equal(new[] { "1.1", "1.2", "1.3" }, sink.UidsOf("P1"));
        }

        [Fact]
        public async Task Studies_of_another_patient_are_dropped_with_a_warning_that_does_not_name_them()
        {
            await using var scp = new FakeScp(async (c, _) =>
            {
                await c.AcceptAsync();
                // A PACS that matches loosely (a prefix, say) and answers with someone else's studies too.
                await c.ServeFindsAsync(_ => FindAnswer.Of(Match("P1", "1.1"), Match("P10", "1.10"), Match("", "1.11")));
            });

            var sink = await RunAsync(scp, patients: "P1");

            Assert.Equal(new[] { "1.1" }, sink.Studies.Select(s => s.StudyInstanceUid));
            var warning = Assert.Single(sink.Warnings);
            Assert.Contains("2 studies that did not match it", warning.Message);
            Assert.DoesNotContain("P10", warning.Message);
        }

        [Theory]
        [InlineData("H1*")]
        [InlineData("H?1")]
        [InlineData("H1\\H2")]
        public async Task A_patient_id_dicom_cannot_match_literally_is_refused_without_asking_the_pacs(string patientId)
        {
            await using var scp = new FakeScp(async (c, _) =>
            {
                await c.AcceptAsync();
                await c.ServeFindsAsync(id => Holding(id, ("P1", "1.1")));
            });

            var sink = await RunAsync(scp, patients: new[] { patientId, "P1" });

            var failure = Assert.Single(sink.Failures);
            Assert.Equal(patientId, failure.PatientId);
            Assert.IsType<StudyQueryKeyException>(failure.Error);
            Assert.Contains("cannot match literally", failure.Error.Message);
            Assert.Equal(new[] { "1.1" }, sink.UidsOf("P1"));
        }

        [Fact]
        public async Task No_pacs_behaviour_makes_one_patient_cost_more_than_MaxQueriesPerPatient()
        {
            var finds = 0;
            await using var scp = new FakeScp(async (c, _) =>
            {
                await c.AcceptAsync();
                // Every answer ends "cancelled" after one match, whatever the range: an endless cap.
                await c.ServeFindsAsync(_ => FindAnswer.Of(Match("P1", "1." + Interlocked.Increment(ref finds))) with { FinalStatus = 0xFE00 });
            });

            var sink = await RunAsync(scp, FastRetries with { MaxQueriesPerPatient = 25 }, patients: new[] { "P1", "P2" });

            Assert.Equal(2, sink.Failures.Count);
            Assert.All(sink.Failures, f => Assert.IsType<QueryBudgetExceededException>(f.Error));
            Assert.Equal(50, finds);
        }

        [Fact]
        public async Task Names_in_any_character_set_reach_the_study_and_an_unknown_term_is_a_warning()
        {
            var japanese = new RawDataset()
                .Add(DicomTags.SpecificCharacterSet, "\\ISO 2022 IR 87")
                .Add(DicomTags.PatientName, Concat("Yamada^Tarou=", Hex("1B 24 42 3B 33 45 44 1B 28 42"), "^", Hex("1B 24 42 42 40 4F 3A 1B 28 42")))
                .Add(DicomTags.PatientId, "J1").Add(DicomTags.StudyInstanceUid, "1.2\0").ToArray();
            var unknown = new RawDataset()
                .Add(DicomTags.SpecificCharacterSet, "ISO_IR 999")
                .Add(DicomTags.PatientName, Hex("4D DC 4C 4C 45 52"))
                .Add(DicomTags.PatientId, "J1").Add(DicomTags.StudyInstanceUid, "1.3\0").ToArray();
            await using var scp = new FakeScp(async (c, _) =>
            {
                await c.AcceptAsync();
                await c.ServeFindsAsync(_ => new FindAnswer(new[] { japanese, unknown }));
            });

            var sink = await RunAsync(scp, patients: "J1");

            Assert.Equal("Yamada^Tarou=山田^太郎", sink.Studies.Single(s => s.StudyInstanceUid == "1.2").PatientName);
            Assert.Equal("MÜLLER", sink.Studies.Single(s => s.StudyInstanceUid == "1.3").PatientName);
            Assert.Contains(sink.Warnings, w => w.Message.Contains("'ISO_IR 999'") && w.Message.Contains("Latin-1"));
        }

        [Fact]
        public async Task A_uid_list_longer_than_one_element_holds_is_split_into_several_queries()
        {
            var uids = Enumerable.Range(0, 1500).Select(i => "1.2.826.0.1.3680043.9.7134.1234567890.1234567890." + i).ToArray();
            var lists = new ConcurrentQueue<int>();
            await using var scp = new FakeScp(async (c, _) =>
            {
                await c.AcceptAsync();
                await c.ServeFindsAsync(id =>
                {
                    var asked = id.GetStrings(DicomTags.StudyInstanceUid);
                    lists.Enqueue(id.GetString(DicomTags.StudyInstanceUid)!.Length);
                    return FindAnswer.Of(asked.Select(u => Match("P1", u)).ToArray());
                });
            });
            var connection = Connection(scp);
            var found = new List<PacsStudy>();
            using var executor = new DicomStudyQueryExecutor(connection);

            var count = await new StudyFinder(executor, 0, StudyFinder.DefaultEarliest, new DateTime(2026, 1, 1), limits: FastRetries)
                .FindAsync(new StudyQuery { PatientId = "P1", StudyInstanceUids = uids }, found.Add, _ => { }, default);

            Assert.Equal(1500, count);
            Assert.True(lists.Count >= 2);
            Assert.All(lists, length => Assert.InRange(length, 1, 0xFFFE));
        }
    }

    /// <summary>
    /// dcmqrscp's own association limit: it rejects an association over MaxAssociations as transient (2, 3, 2).
    /// It counts children until it reaps them, so the limit is 2 (the start-up echo's child may still count).
    /// </summary>
    public sealed class RealPeerAssociationLimitTests
    {
        [Fact]
        public async Task Dcmqrscp_at_its_association_limit_costs_no_patient()
        {
            var studies = TestStudyGenerator.Generate(patientCount: 12, studyCount: 24, seed: 8, patientPrefix: "LIM");
            await using var pacs = await DcmqrscpPeer.StartAsync(studies, new DcmqrscpPeerOptions { MaxAssociations = 2 });
            var connection = new PacsConnection(pacs.Host, pacs.Port, pacs.AeTitle, RealPeerRuns.CallingAe) { TimeoutSeconds = 10, ThrottleLimit = 4 };
            var sink = new CollectingSink();
            var runner = new StudyQueryRunner(() => new DicomStudyQueryExecutor(connection), 4, 0, DateTime.Today,
                limits: new StudyQueryLimits { RetryDelay = TimeSpan.FromMilliseconds(200), MaxAttempts = 5 });
            using var queue = new BlockingCollection<StudyQuery>();
            foreach (var id in studies.Select(s => s.PatientId).Distinct()) queue.Add(new StudyQuery { PatientId = id });
            queue.CompleteAdding();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));

            await runner.RunAsync(queue, sink, deadline.Token);

            Assert.Empty(sink.Failures);
            Assert.Equal(12, sink.Completed.Count);
            Assert.Equal(24, sink.Studies.Count);
            Assert.Contains(sink.Warnings, w => w.Message.Contains("limit of simultaneous associations"));
            Assert.InRange(runner.ActiveWorkers, 1, 3);
        }
    }
}
