using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using HandiImaging.Core.IO;

namespace HandiImaging
{
    /// <summary>
    /// What every HandiImaging cmdlet shares: provider-aware path resolution (so TestDrive: and relative paths
    /// work), cancellation on Ctrl+C, and errors with stable ErrorIds.
    /// </summary>
    public abstract class HandiCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();

        /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
        protected CancellationToken StopToken => _stopping.Token;

        protected override void StopProcessing() => _stopping.Cancel();

        /// <summary>Resolves an existing file given as -Path (wildcards) or -LiteralPath; exactly one file.</summary>
        protected string ResolveExistingFile(string path, bool literal, string parameterName)
        {
            var resolved = ResolveExistingFiles(new[] { path }, literal, parameterName);
            if (resolved.Count != 1)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"-{parameterName} '{path}' matches {resolved.Count} files; give exactly one."),
                    "AmbiguousPath", ErrorCategory.InvalidArgument, path));
            }
            return resolved[0];
        }

        /// <summary>Resolves -Path (wildcards) or -LiteralPath to file-system paths; a missing path is terminating.</summary>
        protected IReadOnlyList<string> ResolveExistingFiles(IEnumerable<string> paths, bool literal, string parameterName)
        {
            var result = new List<string>();
            foreach (var path in paths)
            {
                try
                {
                    if (literal)
                    {
                        var p = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
                        if (!System.IO.File.Exists(p) && !System.IO.Directory.Exists(p)) throw new ItemNotFoundException($"Cannot find path '{path}' because it does not exist.");
                        result.Add(p);
                    }
                    else
                    {
                        result.AddRange(GetResolvedProviderPathFromPSPath(path, out var provider));
                        if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
                            throw new ArgumentException($"-{parameterName} '{path}' is not a file-system path.");
                    }
                }
                catch (Exception ex) when (ex is ItemNotFoundException || ex is DriveNotFoundException || ex is ProviderNotFoundException || ex is ArgumentException)
                {
                    ThrowTerminatingError(new ErrorRecord(ex, "PathNotFound", ErrorCategory.ObjectNotFound, path));
                }
            }
            return result;
        }

        /// <summary>Resolves a path that may not exist yet (an output file or folder).</summary>
        protected string ResolveOutputPath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

        /// <summary>Non-terminating error for one bad item; the cmdlet carries on with the others.</summary>
        protected void WriteItemError(Exception exception, string errorId, ErrorCategory category, object? target) =>
            WriteError(new ErrorRecord(exception, errorId, category, target));

        /// <summary>Terminating error: nothing can work (e.g. an input file that cannot be read at all).</summary>
        protected void Fail(Exception exception, string errorId, ErrorCategory category, object? target) =>
            ThrowTerminatingError(new ErrorRecord(exception, errorId, category, target));

        /// <summary>
        /// A date given for something that has happened (a run's as-of date, a decision): not in the future, not
        /// the 2099 placeholder, not before 1900 (<see cref="DateValue.PastDateProblem"/>); terminating
        /// (DateOutOfRange) otherwise, before anything is read or written.
        /// </summary>
        protected void RequirePastDate(DateTime date, string parameterName)
        {
            if (DateValue.PastDateProblem(date, DateTime.Today) is { } problem)
                Fail(new ArgumentOutOfRangeException(parameterName, date, $"-{parameterName} {problem}."), "DateOutOfRange", ErrorCategory.InvalidArgument, date);
        }

        /// <summary>Maps a bad-input exception to the category users expect.</summary>
        protected static ErrorCategory CategoryOf(Exception exception) => exception switch
        {
            InputFormatException _ => ErrorCategory.InvalidData,
            System.IO.FileNotFoundException _ => ErrorCategory.ObjectNotFound,
            System.IO.DirectoryNotFoundException _ => ErrorCategory.ObjectNotFound,
            UnauthorizedAccessException _ => ErrorCategory.PermissionDenied,
            OperationCanceledException _ => ErrorCategory.OperationStopped,
            TimeoutException _ => ErrorCategory.OperationTimeout,
            System.IO.IOException _ => ErrorCategory.WriteError,
            _ => ErrorCategory.NotSpecified,
        };

        public void Dispose()
        {
            _stopping.Dispose();
            GC.SuppressFinalize(this);
        }
    }
}
