using System;
using System.IO;
using System.Threading;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Cohort
{
    /// <summary>Takes a persistent file's lock; a lock still held by another run at the deadline is a <see cref="TimeoutException"/>.</summary>
    internal static class LockedFile
    {
        public static FileLock Acquire(string path, TimeSpan? timeout, CancellationToken cancellationToken)
        {
            try
            {
                return FileLock.Acquire(path, timeout ?? TimeSpan.FromSeconds(30), cancellationToken);
            }
            catch (IOException ex)
            {
                // FileLock retries every IOException until its deadline, so what escapes means "still held".
                throw new TimeoutException(ex.Message, ex);
            }
        }
    }
}
