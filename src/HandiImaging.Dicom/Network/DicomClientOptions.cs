using System;

namespace HandiImaging.Dicom;

/// <summary>Where the PACS is, who we are, and every deadline. Immutable; copy with <c>with { }</c>.</summary>
public sealed record DicomClientOptions
{
    public string Host { get; init; } = "";
    public int Port { get; init; } = 104;
    /// <summary>The PACS's own AE title.</summary>
    public string CalledAeTitle { get; init; } = "";
    /// <summary>Our AE title, as registered on the PACS.</summary>
    public string CallingAeTitle { get; init; } = "";

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Deadline for association negotiation and for release.</summary>
    public TimeSpan AssociationTimeout { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Deadline for each DIMSE response (each C-FIND match, the C-ECHO answer).</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Deadline between C-MOVE responses; reset by each pending response.</summary>
    public TimeSpan MoveResponseTimeout { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>Cap on a whole C-MOVE, however many pending responses arrive.</summary>
    public TimeSpan MoveTimeout { get; init; } = TimeSpan.FromHours(1);
    /// <summary>After C-CANCEL, how long to wait for the final response before aborting.</summary>
    public TimeSpan CancelDrainTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Largest P-DATA-TF we accept (announced to the peer).</summary>
    public int MaxPduLength { get; init; } = 256 * 1024;
    /// <summary>Largest reassembled dataset we accept in a response.</summary>
    public int MaxDatasetLength { get; init; } = 16 * 1024 * 1024;

    public string ImplementationClassUid { get; init; } = DicomUids.ImplementationClassUid;
    public string ImplementationVersionName { get; init; } = DicomUids.ImplementationVersionName;

    /// <summary>"host:port" for messages.</summary>
    public string Endpoint => $"{Host}:{Port}";

    /// <exception cref="ArgumentException">A setting that cannot work, with the reason.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("Host is required.");
        }
        if (Port < 1 || Port > 65535)
        {
            throw new ArgumentException($"Port {Port} is not a TCP port (1-65535).");
        }
        ValidateAeTitle(CalledAeTitle, nameof(CalledAeTitle));
        ValidateAeTitle(CallingAeTitle, nameof(CallingAeTitle));
        if (MaxPduLength < 4096)
        {
            throw new ArgumentException("MaxPduLength must be at least 4096 bytes.");
        }
        foreach (var (name, value) in new[]
                 {
                     (nameof(ConnectTimeout), ConnectTimeout), (nameof(AssociationTimeout), AssociationTimeout),
                     (nameof(ResponseTimeout), ResponseTimeout), (nameof(MoveResponseTimeout), MoveResponseTimeout),
                     (nameof(MoveTimeout), MoveTimeout), (nameof(CancelDrainTimeout), CancelDrainTimeout),
                 })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentException($"{name} must be positive.");
            }
        }
    }

    /// <summary>AE titles: 1-16 characters of printable ASCII, no backslash (PS3.5 AE).</summary>
    public static void ValidateAeTitle(string? title, string name)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            throw new ArgumentException($"{name} is empty; an AE title has 1 to 16 characters.");
        }
        if (title!.Length > 16)
        {
            throw new ArgumentException($"{name} '{title}' is {title.Length} characters; an AE title has at most 16.");
        }
        foreach (var c in title)
        {
            if (c < 0x20 || c > 0x7E || c == '\\')
            {
                throw new ArgumentException($"{name} '{title}' contains '{c}'; an AE title is printable ASCII without '\\'.");
            }
        }
    }
}
