using System;
using System.Diagnostics;

namespace HandiImaging.Dicom;

/// <summary>A point in monotonic time; immune to wall-clock changes.</summary>
internal readonly struct Deadline
{
    private readonly long _ticks;

    private Deadline(long ticks)
    {
        _ticks = ticks;
    }

    public static Deadline After(TimeSpan span) =>
        new(Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency));

    public static Deadline Earlier(Deadline a, Deadline b) => a._ticks <= b._ticks ? a : b;

    public TimeSpan Remaining
    {
        get
        {
            var left = _ticks - Stopwatch.GetTimestamp();
            return left <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)left / Stopwatch.Frequency);
        }
    }

    public bool Is(Deadline other) => _ticks == other._ticks;
}
