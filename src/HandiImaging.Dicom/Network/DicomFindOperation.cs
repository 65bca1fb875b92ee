using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace HandiImaging.Dicom;

/// <summary>
/// A C-FIND to enumerate once with <c>await foreach</c>; each item is one match as the peer sent it.
/// After the loop completes normally, <see cref="Outcome"/> holds the final status.
/// </summary>
public sealed class DicomFindOperation : IAsyncEnumerable<DicomDataset>
{
    private readonly DicomAssociation _association;
    private readonly string _sopClassUid;
    private readonly DicomDataset _identifier;
    private int _started;

    internal DicomFindOperation(DicomAssociation association, string sopClassUid, DicomDataset identifier)
    {
        _association = association;
        _sopClassUid = sopClassUid;
        _identifier = identifier;
    }

    /// <summary>The final status; null until enumeration has run to the final response.</summary>
    public DicomFindOutcome? Outcome { get; private set; }

    public IAsyncEnumerator<DicomDataset> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A C-FIND operation can be enumerated only once.");
        }
        return _association.FindCoreAsync(_sopClassUid, _identifier, outcome => Outcome = outcome, cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>Collects every match; <see cref="Outcome"/> is set when this returns.</summary>
    public async Task<IReadOnlyList<DicomDataset>> ToListAsync(CancellationToken cancellationToken = default)
    {
        var matches = new List<DicomDataset>();
        await foreach (var match in this.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            matches.Add(match);
        }
        return matches;
    }
}
