using System;
using System.Collections.Concurrent;
using System.Threading;

namespace HandiImaging
{
    /// <summary>
    /// Carries work from background tasks to the pipeline thread: PowerShell lets a cmdlet write output,
    /// errors and progress only from the thread that called ProcessRecord/EndProcessing. Workers post
    /// closures; the cmdlet runs them in <see cref="Drain"/> or <see cref="DrainUntilComplete"/>.
    /// </summary>
    internal sealed class PipelinePump : IDisposable
    {
        private readonly BlockingCollection<Action> _actions = new BlockingCollection<Action>();

        public void Post(Action action)
        {
            // After completion (e.g. the run was stopped) late posts are dropped, not thrown at a worker.
            try { _actions.Add(action); }
            catch (InvalidOperationException) { }
        }

        public void Complete() => _actions.CompleteAdding();

        /// <summary>Runs what is queued now, without waiting.</summary>
        public void Drain()
        {
            while (_actions.TryTake(out var action)) action();
        }

        /// <summary>Runs everything until the producers call <see cref="Complete"/>.</summary>
        public void DrainUntilComplete(CancellationToken cancellationToken)
        {
            foreach (var action in _actions.GetConsumingEnumerable(cancellationToken)) action();
        }

        public void Dispose() => _actions.Dispose();
    }
}
