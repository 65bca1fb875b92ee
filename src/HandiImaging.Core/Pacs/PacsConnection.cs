using System;
using HandiImaging.Dicom;

namespace HandiImaging.Core.Pacs
{
    /// <summary>
    /// How to reach a PACS: its address, the AE titles both sides use, and the limits we run under.
    /// PACS only answer AE titles registered with them, so both titles are settings, never defaults baked in.
    /// </summary>
    public sealed record PacsConnection
    {
        public PacsConnection(string hostName, int port, string calledAeTitle, string callingAeTitle)
        {
            HostName = string.IsNullOrWhiteSpace(hostName) ? throw new ArgumentException("A host name is required.", nameof(hostName)) : hostName.Trim();
            Port = port is > 0 and <= 65535 ? port : throw new ArgumentOutOfRangeException(nameof(port), port, "A TCP port is 1 to 65535.");
            CalledAeTitle = CheckAeTitle(calledAeTitle, "called");
            CallingAeTitle = CheckAeTitle(callingAeTitle, "calling");
        }

        public string HostName { get; }
        public int Port { get; }
        /// <summary>The PACS's own AE title.</summary>
        public string CalledAeTitle { get; }
        /// <summary>Our AE title, as registered on the PACS.</summary>
        public string CallingAeTitle { get; }
        /// <summary>Deadline for connecting, negotiating and for each response, in seconds.</summary>
        public int TimeoutSeconds { get; init; } = 30;
        /// <summary>The PACS's known cap on C-FIND answers (0 = none known). An answer this long may be truncated.</summary>
        public int MaxResultsPerQuery { get; init; }
        /// <summary>At most this many associations at once.</summary>
        public int ThrottleLimit { get; init; } = 4;

        /// <summary>Trims an AE title and checks it (1–16 printable ASCII characters, no backslash).</summary>
        public static string CheckAeTitle(string? title, string which)
        {
            var trimmed = (title ?? "").Trim();
            DicomClientOptions.ValidateAeTitle(trimmed, $"The {which} AE title");
            return trimmed;
        }

        public override string ToString() => $"{CalledAeTitle}@{HostName}:{Port} (as {CallingAeTitle})";
    }
}
