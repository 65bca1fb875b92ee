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

        /// <summary>
        /// Resolves an existing file given as -Path (wildcards) or -LiteralPath; exactly one file. A folder is an
        /// error saying so (PathIsFolder).
        /// </summary>
        protected string ResolveExistingFile(string path, bool literal, string parameterName)
        {
            var resolved = ResolveExistingFiles(new[] { path }, literal, parameterName);
            if (resolved.Count != 1)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"-{parameterName} '{path}' matches {resolved.Count} files; give exactly one."),
                    "AmbiguousPath", ErrorCategory.InvalidArgument, path));
            }
            if (System.IO.Directory.Exists(resolved[0]))
                Fail(new ArgumentException($"-{parameterName} '{path}' is a folder, not a file; give the file's name ({resolved[0]}{System.IO.Path.DirectorySeparatorChar}…)."),
                    "PathIsFolder", ErrorCategory.InvalidArgument, path);
            return resolved[0];
        }

        /// <summary>Resolves an existing folder (taken literally); a file there is an error saying so (<paramref name="fileErrorId"/>).</summary>
        protected string ResolveExistingFolder(string path, string parameterName, string fileErrorId, string what)
        {
            var resolved = ResolveExistingFiles(new[] { path }, literal: true, parameterName);
            if (!System.IO.Directory.Exists(resolved[0]))
                Fail(new ArgumentException($"-{parameterName} '{path}' is a file, not a folder; give the folder that holds {what}."), fileErrorId, ErrorCategory.InvalidArgument, path);
            return resolved[0];
        }

        /// <summary>
        /// Resolves -Path (wildcards) or -LiteralPath to file-system paths; a missing path is terminating. A -Path
        /// that names an existing file or folder exactly is taken as it is, so brackets in a name
        /// (<c>cohort[2024].csv</c>) never match some other file as a wildcard.
        /// </summary>
        protected IReadOnlyList<string> ResolveExistingFiles(IEnumerable<string> paths, bool literal, string parameterName)
        {
            var result = new List<string>();
            foreach (var path in paths)
            {
                try
                {
                    var exact = literal || WildcardPattern.ContainsWildcardCharacters(path) ? ExistingLiteral(path) : null;
                    if (literal || exact != null)
                    {
                        if (exact is null) throw new ItemNotFoundException($"Cannot find path '{path}' because it does not exist.");
                        result.Add(exact);
                    }
                    else
                    {
                        result.AddRange(GetResolvedProviderPathFromPSPath(path, out var provider));
                        if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
                            throw new ArgumentException($"-{parameterName} '{path}' is not a file-system path.");
                    }
                }
                catch (Exception ex) when (ex is ItemNotFoundException || ex is DriveNotFoundException || ex is ProviderNotFoundException || ex is ArgumentException || ex is NotSupportedException || ex is PSInvalidOperationException)
                {
                    ThrowTerminatingError(new ErrorRecord(ex, "PathNotFound", ErrorCategory.ObjectNotFound, path));
                }
            }
            return result;
        }

        /// <summary>The file-system path <paramref name="path"/> names literally, when something exists there.</summary>
        private string? ExistingLiteral(string path)
        {
            var p = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
            if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
                throw new ArgumentException($"'{path}' is not a file-system path.");
            return System.IO.File.Exists(p) || System.IO.Directory.Exists(p) ? p : null;
        }

        /// <summary>Resolves a path that may not exist yet (an output file or folder), always literally.</summary>
        protected string ResolveOutputPath(string path)
        {
            try { return SessionState.Path.GetUnresolvedProviderPathFromPSPath(path); }
            catch (Exception ex) when (ex is DriveNotFoundException || ex is ProviderNotFoundException || ex is NotSupportedException || ex is PSInvalidOperationException || ex is ArgumentException)
            {
                Fail(ex, "PathNotFound", ErrorCategory.ObjectNotFound, path);
                return "";
            }
        }

        /// <summary>Resolves an output file (taken literally); an existing folder there is an error saying so (PathIsFolder).</summary>
        protected string ResolveOutputFile(string path, string parameterName)
        {
            var resolved = ResolveOutputPath(path);
            if (System.IO.Directory.Exists(resolved))
                Fail(new ArgumentException($"-{parameterName} '{path}' is a folder; give the name of the file to write in it."), "PathIsFolder", ErrorCategory.InvalidArgument, path);
            return resolved;
        }

        /// <summary>
        /// Stops an output from destroying an input: terminating error OutputIsInput when <paramref name="outputPath"/>
        /// is one of <paramref name="inputs"/> (symbolic links followed) or an existing cohort, ledger or rules file
        /// not in <paramref name="ownKinds"/>. Checked before anything is written, under -WhatIf too.
        /// </summary>
        protected void EnsureOutputIsNotInput(string outputPath, string outputParameter, IEnumerable<(string? Path, string Parameter)> inputs, params ProtectedFileKind[] ownKinds)
        {
            try { OutputGuard.Check(outputPath, "-" + outputParameter, System.Linq.Enumerable.Select(inputs, i => (i.Path, "-" + i.Parameter)), ownKinds); }
            catch (OutputOverwritesInputException ex) { Fail(ex, "OutputIsInput", ErrorCategory.InvalidArgument, outputPath); }
        }

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
