using System;
using System.IO;
using System.Management.Automation;
using HandiImaging.Core.Summary;

namespace HandiImaging.Commands
{
    /// <summary>Publishes the master summary to the data warehouse's drop folder, whole and checksummed, keeping the last few versions.</summary>
    /// <remarks>
    /// <para>Publish-EdwSummary copies the summary into the drop folder as a versioned file,
    /// &lt;name&gt;_&lt;yyyyMMddTHHmmssZ&gt;.csv — the name is the summary's file name without extension unless -Name
    /// is given, the version is the summary's last write time in UTC unless -Version is given — with a SHA-256
    /// sidecar &lt;file&gt;.sha256 in sha256sum format (`sha256sum -c` verifies it in the drop folder). Version
    /// names sort by time, so the warehouse takes the newest.</para>
    /// <para>The warehouse never sees a partial file: the copy is written under a temporary name starting with
    /// a dot (.handi-publish-*.tmp), flushed to disk, and renamed into place after its sidecar. A failed or
    /// cancelled copy removes its temporary file; one left by a killed process is removed by the next
    /// publication. After publishing, the newest -Keep versions (4 by default, the new one included) stay and
    /// older versions go with their sidecars. Nothing else is left in the drop folder: no backup and no lock
    /// file (publishers lock a file in the system temp folder).</para>
    /// <para>A version newer than the one being published is never overwritten or pruned: the call stops with
    /// NewerVersionExists. Publishing the same summary again is harmless (Status AlreadyPublished); a different
    /// file with the same version name stops with VersionConflict. -Force publishes anyway. -WhatIf shows the
    /// file that would be written and the versions that would be removed, and writes nothing.</para>
    /// </remarks>
    /// <example>
    /// <code>Publish-EdwSummary -Path ./run/XNAT-summary.csv -DropFolder \\edw\drop\rt-hand -Keep 8</code>
    /// <para>Publishes this quarter's summary (e.g. XNAT-summary_20250106T101500Z.csv and its .sha256) and keeps
    /// two years of quarterly versions.</para>
    /// </example>
    /// <example>
    /// <code>Publish-EdwSummary ./run/XNAT-summary.csv /mnt/edw-drop -Name master-summary -WhatIf</code>
    /// <para>Shows the versioned name the summary would get and which old versions would be removed.</para>
    /// </example>
    [Cmdlet(VerbsData.Publish, "EdwSummary", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
    [OutputType(typeof(EdwPublication))]
    public sealed class PublishEdwSummaryCommand : HandiCmdlet
    {
        private const string PathSet = "Path";
        private const string LiteralSet = "LiteralPath";

        /// <summary>The master summary to publish (wildcards allowed; exactly one file; a name that exists exactly is taken as it is). A folder is refused (PathIsFolder).</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>The master summary to publish, taken literally.</summary>
        [Parameter(Mandatory = true, ParameterSetName = LiteralSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "OutputPath")]
        [ValidateNotNullOrEmpty]
        public string LiteralPath { get; set; } = "";

        /// <summary>The warehouse's drop folder, taken literally (no wildcards); created when missing.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string DropFolder { get; set; } = "";

        /// <summary>How many versions to keep in the drop folder, the new one included. Default 4.</summary>
        [Parameter]
        [ValidateRange(1, 1000)]
        public int Keep { get; set; } = 4;

        /// <summary>The name versions are published under (without extension); the summary's own file name by default.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        /// <summary>The version's timestamp in the file name; the summary's last write time by default. Converted to UTC.</summary>
        [Parameter]
        public DateTime? Version { get; set; }

        /// <summary>Publish even when the drop folder holds a newer version, and replace a same-named version with other content.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var literal = ParameterSetName == LiteralSet;
            var source = ResolveExistingFile(literal ? LiteralPath : Path, literal, literal ? nameof(LiteralPath) : nameof(Path));
            var drop = ResolveOutputPath(DropFolder);
            if (File.Exists(drop))
                Fail(new IOException($"-DropFolder {drop} is a file; give a folder."), "DropFolderIsFile", ErrorCategory.InvalidArgument, drop);

            var publisher = new EdwPublisher(drop) { Keep = Keep };
            EdwPublication publication;
            try
            {
                publication = publisher.Publish(source, Name, Version, plan =>
                {
                    var action = plan.AlreadyPublished ? "Already published; check its checksum" : plan.Replaces ? "Replace with " + source : "Publish " + source;
                    if (plan.ToRemove.Count > 0) action += $" and remove {plan.ToRemove.Count} older version(s): {string.Join(", ", plan.ToRemove)}";
                    return ShouldProcess(plan.TargetPath, action);
                }, Force, StopToken);
            }
            catch (EdwNewerVersionException ex)
            {
                Fail(ex, "NewerVersionExists", ErrorCategory.ResourceExists, ex.NewerPath);
                return;
            }
            catch (EdwVersionConflictException ex)
            {
                Fail(ex, "VersionConflict", ErrorCategory.ResourceExists, drop);
                return;
            }
            catch (TimeoutException ex)
            {
                Fail(ex, "DropFolderLocked", ErrorCategory.ResourceBusy, drop);
                return;
            }
            catch (OperationCanceledException ex)
            {
                Fail(ex, "PublishCancelled", ErrorCategory.OperationStopped, drop);
                return;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException)
            {
                Fail(ex, "PublishFailed", CategoryOf(ex), drop);
                return;
            }
            if (publication.Status == EdwPublicationStatus.Planned) return;
            WriteVerbose($"{publication.FileName}: {publication.Status}, {publication.Length} bytes, sha256 {publication.Sha256}; {publication.Removed.Count} older version(s) removed.");
            WriteObject(publication);
        }
    }
}
