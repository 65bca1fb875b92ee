using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace HandiImaging
{
    /// <summary>
    /// Loads the module's third-party assemblies from its own <c>dependencies</c> folder, so the module works
    /// beside other modules that ship other versions of CsvHelper, OpenXml or Newtonsoft.Json. The folder is
    /// deliberately not the module's own, so the default probing never picks a copy by accident.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly string BinDirectory = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".";
        private static readonly string DependencyDirectory = Path.Combine(BinDirectory, "dependencies");

        public void OnImport() => AppDomain.CurrentDomain.AssemblyResolve += Resolve;

        public void OnRemove(PSModuleInfo psModuleInfo) => AppDomain.CurrentDomain.AssemblyResolve -= Resolve;

        internal static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            var requested = new AssemblyName(args.Name);
            if (requested.Name is null) return null;
            foreach (var directory in new[] { BinDirectory, DependencyDirectory })
            {
                var candidate = Path.Combine(directory, requested.Name + ".dll");
                if (!File.Exists(candidate)) continue;
                // A newer file satisfies an older reference (assembly binding is forward-compatible here);
                // an older one does not.
                var available = AssemblyName.GetAssemblyName(candidate);
                if (requested.Version != null && available.Version != null && available.Version < requested.Version) return null;
                return Assembly.LoadFrom(candidate);
            }
            return null;
        }
    }
}
