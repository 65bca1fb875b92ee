using System;
using System.Globalization;
using System.IO;
using System.Threading;

namespace HandiImaging.Core.Tests.Cohort
{
    /// <summary>A scratch folder per test, removed afterwards.</summary>
    public sealed class TempFolder : IDisposable
    {
        public TempFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "handi-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name, string? content = null)
        {
            var path = System.IO.Path.Combine(Path, name);
            if (content != null) System.IO.File.WriteAllText(path, content);
            return path;
        }

        public void Dispose()
        {
            try { Directory.Delete(Path, true); } catch (IOException) { }
        }
    }

    /// <summary>Runs code under a given current culture (parsers must not care).</summary>
    public sealed class CultureScope : IDisposable
    {
        private readonly CultureInfo _culture, _ui;

        public CultureScope(string name)
        {
            _culture = CultureInfo.CurrentCulture;
            _ui = CultureInfo.CurrentUICulture;
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(name);
        }

        public void Dispose()
        {
            CultureInfo.CurrentCulture = _culture;
            CultureInfo.CurrentUICulture = _ui;
        }
    }
}
