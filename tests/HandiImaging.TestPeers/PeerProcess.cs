using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace HandiImaging.TestPeers;

/// <summary>A child process with captured output, stopped by PID (SIGTERM, then SIGKILL) and waited for.</summary>
public sealed class PeerProcess : IAsyncDisposable
{
    private const int MaxLogChars = 64 * 1024;
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private PeerProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>The last 64 KiB of stdout and stderr, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="executable"/> with TCP_NODELAY=1 (Debian's dcmtk otherwise pays ~100 ms of Nagle per exchange).</summary>
    public static PeerProcess Start(string executable, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(PeerBinaries.Require(executable))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["TCP_NODELAY"] = "1";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var peer = new PeerProcess(process);
        process.OutputDataReceived += (_, e) => peer.Append(e.Data);
        process.ErrorDataReceived += (_, e) => peer.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>Runs a tool to completion; throws with its output if it fails or overruns.</summary>
    public static async Task<string> RunAsync(string executable, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        await using var run = Start(executable, arguments, workingDirectory);
        run._process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await run._process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException($"{executable} did not finish within {timeout.TotalSeconds} s:\n{run.Log}");
        }
        // WaitForExit without a timeout flushes the redirected output into the log.
        run._process.WaitForExit();
        if (run._process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{executable} {string.Join(' ', arguments)} exited with {run._process.ExitCode}:\n{run.Log}");
        }
        return run.Log;
    }

    /// <summary>Sends a POSIX signal to any PID (e.g. SIGSTOP to freeze a peer in a test); a PID that is gone is ignored.</summary>
    public static void SendSignal(int pid, PosixSignalNumber signal)
    {
        const int NoSuchProcess = 3;
        if (Kill(pid, (int)signal) != 0 && Marshal.GetLastPInvokeError() != NoSuchProcess)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The inode of the loopback TCP socket from <paramref name="localPort"/> to <paramref name="remotePort"/>, from /proc/net/tcp.</summary>
    public static long? SocketInode(int localPort, int remotePort)
    {
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && PortOf(fields[1]) == localPort && PortOf(fields[2]) == remotePort)
                {
                    return long.Parse(fields[9], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        return null;

        static int PortOf(string address) => int.Parse(address[(address.LastIndexOf(':') + 1)..], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Whether process <paramref name="pid"/> has the socket <paramref name="inode"/> open.</summary>
    public static bool HoldsSocket(int pid, long inode)
    {
        try
        {
            var target = $"socket:[{inode}]";
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
                .Any(fd => new FileInfo(fd).LinkTarget == target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Direct children of a process that have not exited, from /proc (field 4 of /proc/PID/stat is the parent PID; state Z is an exited, unreaped child).</summary>
    public static IReadOnlyList<int> ChildProcessIds(int parentPid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // The command name (field 2) is parenthesised and may hold spaces; fields after it are plain.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == parentPid && fields[0] != "Z")
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process exited while we looked.
            }
        }
        return children;
    }

    /// <summary>Stops the process: SIGTERM, wait up to <paramref name="grace"/>, then SIGKILL; always waits for exit.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }
        Kill(_process.Id, (int)PosixSignalNumber.Term);
        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
    }

    /// <summary>Waits until something accepts TCP connections on 127.0.0.1:<paramref name="port"/>, failing with the log if the process dies.</summary>
    public async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_process.StartInfo.FileName} exited with {_process.ExitCode} before listening:\n{Log}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                throw new TimeoutException($"{_process.StartInfo.FileName} did not listen on port {port} within {timeout.TotalSeconds} s:\n{Log}");
            }
        }
    }

    private void Append(string? line)
    {
        if (line == null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
            if (_log.Length > MaxLogChars)
            {
                _log.Remove(0, _log.Length - MaxLogChars);
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>Linux signal numbers used by the fixtures.</summary>
public enum PosixSignalNumber
{
    Kill = 9,
    Term = 15,
    Stop = 19,
}

/// <summary>Locates peer binaries; a missing one fails loudly with the command that installs it.</summary>
public static class PeerBinaries
{
    public const string InstallCommand = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y dcmtk orthanc";

    public static string Require(string executable)
    {
        if (Path.IsPathRooted(executable))
        {
            return File.Exists(executable) ? executable : throw Missing(executable);
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/usr/bin"))
        {
            var candidate = Path.Combine(dir, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw Missing(executable);
    }

    private static FileNotFoundException Missing(string executable) =>
        new($"DICOM test peer '{executable}' is not installed. Install the peers (as root on Debian): {InstallCommand}", executable);
}

/// <summary>Free loopback ports: bind to port 0 and let the kernel choose.</summary>
public static class FreePorts
{
    public static int Next()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}

/// <summary>Temporary directories removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix)
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    public string Sub(string name) => Directory.CreateDirectory(System.IO.Path.Combine(Path, name)).FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A peer that was killed may still hold a file briefly; the OS temp cleaner will get it.
        }
    }
}
