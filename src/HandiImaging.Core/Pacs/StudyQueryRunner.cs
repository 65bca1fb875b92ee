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
        void OnCompleted(StudyQuery query, int studyCount);
        void OnFailed(StudyQuery query, Exception exception);
    }

    /// <summary>
    /// Runs many queries (one per patient, typically) over at most <c>workers</c> executors at once. Each
    /// worker keeps its executor (an association) for query after query and replaces it only after a failure,
    /// so a cohort of thousands costs a handful of associations, not thousands.
    /// </summary>
    public sealed class StudyQueryRunner
    {
        private readonly Func<IStudyQueryExecutor> _createExecutor;
        private readonly int _workers;
        private readonly int _maxResultsPerQuery;
        private readonly DateTime _latest;
        private readonly bool _resolveModality;

        public StudyQueryRunner(Func<IStudyQueryExecutor> createExecutor, int workers, int maxResultsPerQuery, DateTime latest, bool resolveModality = false)
        {
            _resolveModality = resolveModality;
            _createExecutor = createExecutor;
            _workers = Math.Max(1, workers);
            _maxResultsPerQuery = maxResultsPerQuery;
            _latest = latest;
        }

        /// <summary>
        /// Takes queries from <paramref name="queries"/> until it is completed and empty. A failed query is
        /// reported to the sink and the others go on; cancellation stops every worker.
        /// </summary>
        public Task RunAsync(BlockingCollection<StudyQuery> queries, IStudyQuerySink sink, CancellationToken cancellationToken) =>
            Task.WhenAll(Enumerable.Range(0, _workers).Select(_ => Task.Run(() => WorkAsync(queries, sink, cancellationToken), cancellationToken)));

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
                        var finder = new StudyFinder(executor, _maxResultsPerQuery, StudyFinder.DefaultEarliest, _latest, _resolveModality);
                        var count = await finder.FindAsync(query, s => sink.OnStudy(query, s), w => sink.OnWarning(query, w), cancellationToken).ConfigureAwait(false);
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
                }
            }
            finally
            {
                executor?.Dispose();
            }
        }
    }
}
