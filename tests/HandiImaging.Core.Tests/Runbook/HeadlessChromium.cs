using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;

namespace HandiImaging.Core.Tests.Runbook
{
    /// <summary>
    /// Debian's chromium, run headless. Installed with apt-get when missing and we are root (CI, the dev
    /// container); otherwise the test fails with the command to run — a report test must never pass unrendered.
    /// </summary>
    public sealed class HeadlessChromium : IDisposable
    {
        private static readonly string[] Names = { "chromium", "chromium-browser", "google-chrome" };
        private readonly string _profile = Path.Combine(Path.GetTempPath(), "handi-chromium-" + Guid.NewGuid().ToString("N"));

        public HeadlessChromium()
        {
            Executable = Find() ?? Install() ?? throw new InvalidOperationException(
                "The report tests render the report in headless Chromium, which is not installed and could not be installed (not root, or no apt-get). On Debian: sudo apt-get install -y chromium");
        }

        public string Executable { get; }

        /// <summary>Renders <paramref name="htmlPath"/> and saves a PNG screenshot of the given window size.</summary>
        public void Screenshot(string htmlPath, string pngPath, int width, int height) =>
            Run($"--screenshot=\"{pngPath}\" --window-size={width},{height} --hide-scrollbars \"{new Uri(htmlPath).AbsoluteUri}\"", out _);

        /// <summary>The DOM after parsing and rendering, serialised.</summary>
        public string DumpDom(string htmlPath)
        {
            Run($"--dump-dom \"{new Uri(htmlPath).AbsoluteUri}\"", out var stdout);
            return stdout;
        }

        private void Run(string arguments, out string stdout)
        {
            // --no-sandbox: containers run us as root, where chromium's sandbox refuses to start.
            var info = new ProcessStartInfo(Executable,
                $"--headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check --disable-extensions --user-data-dir=\"{_profile}\" {arguments}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(info) ?? throw new InvalidOperationException("chromium did not start");
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish within 60 s: " + arguments);
            }
            stdout = output.Result;
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"chromium exited with {process.ExitCode}: {errors.Result}");
        }

        private static string? Find()
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
                foreach (var name in Names)
                {
                    var candidate = Path.Combine(dir, name);
                    if (File.Exists(candidate)) return candidate;
                }
            return null;
        }

        private static string? Install()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || !File.Exists("/usr/bin/apt-get") || Environment.UserName != "root") return null;
            foreach (var args in new[] { "update -qq", "install -y -qq chromium" })
            {
                var info = new ProcessStartInfo("/usr/bin/apt-get", args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
                using var process = Process.Start(info)!;
                var output = process.StandardOutput.ReadToEndAsync();
                var errors = process.StandardError.ReadToEndAsync();
                process.WaitForExit();
                if (process.ExitCode != 0)
                    throw new InvalidOperationException($"apt-get {args} failed ({process.ExitCode}): {errors.Result}{output.Result}");
            }
            return Find();
        }

        public void Dispose()
        {
            try { Directory.Delete(_profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
