using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace HandiImaging.Core.Pacs
{
    /// <summary>Receives the runner's results. Called from worker threads.</summary>
    public interface IStudyQuerySink
    {
        void OnStudy(StudyQuery query, PacsStudy study);
        void OnWarning(StudyQuery query, string message);
        /// <summary>A transient fault that is being retried, or a change of parallelism: for Verbose output.</summary>
        void OnNotice(StudyQuery query, string message);
        void OnCompleted(StudyQuery query, int studyCount);
        void OnFailed(StudyQuery query, Exception exception);
    }

    /// <summary>
    /// Runs many queries (one per patient, typically) over at most <c>workers</c> executors at once. Each
    /// worker keeps its executor (an association) for query after query and replaces it only after a failure,
    /// so a cohort of thousands costs a handful of associations, not thousands. Transient faults are retried
    /// by <see cref="StudyFinder"/>; when the PACS says its association limit is reached, workers retire one
    /// by one (never below one) so the run goes on with fewer associations.
    /// </summary>
    public sealed class StudyQueryRunner
    {
        private readonly Func<IStudyQueryExecutor> _createExecutor;
        private readonly int _workers;
        private readonly int _maxResultsPerQuery;
        private readonly DateTime _latest;
        private readonly bool _resolveModality;
        private readonly StudyQueryLimits _limits;
        private int _allowed;
        private int _active;

        public StudyQueryRunner(Func<IStudyQueryExecutor> createExecutor, int workers, int maxResultsPerQuery, DateTime latest, bool resolveModality = false,
            StudyQueryLimits? limits = null)
        {
            _resolveModality = resolveModality;
            _createExecutor = createExecutor;
            _workers = Math.Max(1, workers);
            _maxResultsPerQuery = maxResultsPerQuery;
            _latest = latest;
            _limits = limits ?? StudyQueryLimits.Default;
        }

        /// <summary>How many workers are still running (lower than asked once the PACS reported its association limit).</summary>
        public int ActiveWorkers => Volatile.Read(ref _active);

        /// <summary>
        /// Takes queries from <paramref name="queries"/> until it is completed and empty. A failed query is
        /// reported to the sink and the others go on; cancellation stops every worker.
        /// </summary>
        public Task RunAsync(BlockingCollection<StudyQuery> queries, IStudyQuerySink sink, CancellationToken cancellationToken)
        {
            _allowed = _workers;
            _active = _workers;
            return Task.WhenAll(Enumerable.Range(0, _workers).Select(_ => Task.Run(() => WorkAsync(queries, sink, cancellationToken), cancellationToken)));
        }

        private async Task WorkAsync(BlockingCollection<StudyQuery> queries, IStudyQuerySink sink, CancellationToken cancellationToken)
        {
            IStudyQueryExecutor? executor = null;
            try
            {
                foreach (var query in queries.GetConsumingEnumerable(cancellationToken))
                {
                    try
                    {
                        executor ??= _createExecutor();
                        var finder = new StudyFinder(executor, _maxResultsPerQuery, StudyFinder.DefaultEarliest, _latest, _resolveModality, _limits,
                            fault => OnTransientFault(query, fault, sink));
                        var count = await finder.FindAsync(query, s => sink.OnStudy(query, s), w => sink.OnWarning(query, w),
                            n => sink.OnNotice(query, n), cancellationToken).ConfigureAwait(false);
                        sink.OnCompleted(query, count);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        throw;
                    }
                    catch (Exception ex)
                    {
                        // The association may be unusable now; the next query gets a fresh one.
                        executor?.Dispose();
                        executor = null;
                        sink.OnFailed(query, ex);
                    }
                    if (TryRetire())
                    {
                        sink.OnNotice(query, $"Continuing with {Volatile.Read(ref _active)} association(s): the PACS limits simultaneous associations.");
                        return;
                    }
                }
            }
            finally
            {
                executor?.Dispose();
            }
        }

        private void OnTransientFault(StudyQuery query, Exception fault, IStudyQuerySink sink)
        {
            if (!PacsFaults.IsAssociationLimit(fault)) return;
            while (true)
            {
                var allowed = Volatile.Read(ref _allowed);
                if (allowed <= 1) return;
                if (Interlocked.CompareExchange(ref _allowed, allowed - 1, allowed) == allowed)
                {
                    sink.OnWarning(query, $"The PACS refused an association because its limit of simultaneous associations is reached; " +
                                          $"going on with {allowed - 1} instead of {allowed} (lower the connection's ThrottleLimit to avoid this).");
                    return;
                }
            }
        }

        /// <summary>A worker leaves (between queries) while more are running than the PACS allows.</summary>
        private bool TryRetire()
        {
            while (true)
            {
                var active = Volatile.Read(ref _active);
                if (active <= Volatile.Read(ref _allowed) || active <= 1) return false;
                if (Interlocked.CompareExchange(ref _active, active - 1, active) == active) return true;
            }
        }
    }
}
