using System.Threading;
using System.Threading.Tasks;

namespace HandiImaging.Dicom;

/// <summary>One-shot conveniences over <see cref="DicomAssociation"/>.</summary>
public static class DicomClient
{
    /// <summary>
    /// Opens an association, sends C-ECHO and releases. Failures throw with a message that says what to fix; a
    /// release the PACS did not confirm does not undo a successful echo (<see cref="DicomEchoResult.ReleaseWarning"/>).
    /// </summary>
    public static async Task<DicomEchoResult> EchoAsync(DicomClientOptions options, CancellationToken cancellationToken = default)
    {
        var association = await DicomAssociation.OpenAsync(options, DicomServices.Verification, cancellationToken).ConfigureAwait(false);
        await using (association.ConfigureAwait(false))
        {
            var result = await association.EchoAsync(cancellationToken).ConfigureAwait(false);
            return await association.ReleaseAsync(cancellationToken).ConfigureAwait(false)
                ? result
                : result with { ReleaseWarning = association.ReleaseProblem };
        }
    }
}
