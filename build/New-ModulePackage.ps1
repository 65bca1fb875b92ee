<#
.SYNOPSIS
    Lays out the built module as an installable, versioned module folder and packs it as a PowerShell module .nupkg.
.DESCRIPTION
    Reads the built module (module/bin, module/formats and the generated ./en-US help) and writes
      <OutputPath>/HandiImaging/<version>/   HandiImaging.psd1 (generated for this layout), bin/ (our assemblies),
                                             bin/dependencies/ (third-party ones), formats/, en-US/ (MAML, about_ topics)
      <OutputPath>/HandiImaging.<version>.nupkg
    The root HandiImaging.psd1 points into module/bin for working in the repository; the package's manifest is
    generated from it with RootModule and FormatsToProcess rewritten to the package's own layout.
    The .nupkg is what PowerShell repositories hold: the .nuspec (tags PSModule, PSIncludes_Cmdlet, PSCmdlet_<name>,
    PSEdition_<edition>) and the module's files at the package root, so Install-PSResource and Install-Module accept
    it from a folder or an internal NuGet feed. Does not build: run `build.ps1 Package` for build + package.
#>
[CmdletBinding()]
param(
    # The repository root (holds HandiImaging.psd1, module/ and the built ./en-US).
    [string] $Root = (Split-Path $PSScriptRoot),
    # Where HandiImaging/<version>/ and the .nupkg go.
    [string] $OutputPath = (Join-Path (Split-Path $PSScriptRoot) 'out')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Add-Type -AssemblyName System.IO.Compression, System.IO.Compression.FileSystem

$source = Import-PowerShellDataFile (Join-Path $Root 'HandiImaging.psd1')
$version = $source.ModuleVersion
$built = @{ bin = Join-Path $Root 'module/bin'; formats = Join-Path $Root 'module/formats'; 'en-US' = Join-Path $Root 'en-US' }
foreach ($folder in $built.Values) {
    if (-not (Test-Path -LiteralPath $folder)) { throw "$folder is missing: build the module first (build.ps1 Build)." }
}
if (-not (Test-Path -LiteralPath (Join-Path $built['en-US'] 'HandiImaging.dll-Help.xml'))) { throw "The generated help is missing from $($built['en-US']): build the module first." }

$OutputPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)
$moduleRoot = Join-Path $OutputPath 'HandiImaging'
$moduleDir = Join-Path $moduleRoot $version
if (Test-Path -LiteralPath $moduleRoot) { Remove-Item -LiteralPath $moduleRoot -Recurse -Force }
New-Item -ItemType Directory -Path $moduleDir -Force | Out-Null
foreach ($name in $built.Keys) { Copy-Item -LiteralPath $built[$name] -Destination (Join-Path $moduleDir $name) -Recurse }

# The package's own manifest: the root manifest's values, paths rewritten from module/… to the package layout.
$formats = @($source.FormatsToProcess | ForEach-Object {
        if ($_ -notlike 'module/formats/*') { throw "FormatsToProcess entry '$_' is not under module/formats/; the package layout does not know where it goes." }
        $_ -replace '^module/', ''
    })
if ($source.RootModule -ne 'module/bin/HandiImaging.dll') { throw "RootModule '$($source.RootModule)' is not module/bin/HandiImaging.dll; update build/New-ModulePackage.ps1." }
$manifest = @{
    Path                 = Join-Path $moduleDir 'HandiImaging.psd1'
    RootModule           = 'bin/HandiImaging.dll'
    ModuleVersion        = $version
    Guid                 = $source.GUID
    Author               = $source.Author
    CompanyName          = $source.CompanyName
    Copyright            = $source.Copyright
    Description          = $source.Description
    PowerShellVersion    = $source.PowerShellVersion
    CompatiblePSEditions = $source.CompatiblePSEditions
    FormatsToProcess     = $formats
    CmdletsToExport      = $source.CmdletsToExport
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    Tags                 = @($source.PrivateData.PSData.Tags)
}
New-ModuleManifest @manifest
$checked = Test-ModuleManifest -Path $manifest.Path -ErrorAction Stop
if ("$($checked.Version)" -ne $version) { throw "The generated manifest has version $($checked.Version), expected $version." }

# The .nupkg: an OPC zip with the .nuspec, the module's files at the root, [Content_Types].xml and _rels/.rels.
function ConvertTo-Xml([string] $Text) { [System.Security.SecurityElement]::Escape($Text) }
$tags = @('PSModule', 'PSIncludes_Cmdlet') + @($source.CmdletsToExport | ForEach-Object { "PSCmdlet_$_" }) +
    @($source.CompatiblePSEditions | ForEach-Object { "PSEdition_$_" }) + @($source.PrivateData.PSData.Tags)
$nuspec = @"
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">
  <metadata>
    <id>HandiImaging</id>
    <version>$(ConvertTo-Xml $version)</version>
    <authors>$(ConvertTo-Xml $source.Author)</authors>
    <owners>$(ConvertTo-Xml $source.CompanyName)</owners>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <description>$(ConvertTo-Xml $source.Description)</description>
    <copyright>$(ConvertTo-Xml $source.Copyright)</copyright>
    <tags>$(ConvertTo-Xml ($tags -join ' '))</tags>
  </metadata>
</package>
"@
$nupkg = Join-Path $OutputPath "HandiImaging.$version.nupkg"
$partial = "$nupkg.partial"
if (Test-Path -LiteralPath $partial) { Remove-Item -LiteralPath $partial -Force }
$zip = [System.IO.Compression.ZipFile]::Open($partial, 'Create')
try {
    function Add-Text([string] $Name, [string] $Text) {
        $entry = $zip.CreateEntry($Name, 'Optimal')
        $writer = [System.IO.StreamWriter]::new($entry.Open(), [System.Text.UTF8Encoding]::new($false))
        try { $writer.Write($Text) } finally { $writer.Dispose() }
    }
    Add-Text 'HandiImaging.nuspec' $nuspec
    $extensions = [System.Collections.Generic.SortedSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
    $prefix = $moduleDir.TrimEnd([IO.Path]::DirectorySeparatorChar) + [IO.Path]::DirectorySeparatorChar
    foreach ($file in Get-ChildItem -LiteralPath $moduleDir -Recurse -File | Sort-Object FullName) {
        $name = $file.FullName.Substring($prefix.Length).Replace('\', '/')
        [System.IO.Compression.ZipFileExtensions]::CreateEntryFromFile($zip, $file.FullName, $name, 'Optimal') | Out-Null
        if ($file.Extension) { $extensions.Add($file.Extension.TrimStart('.')) | Out-Null }
    }
    $extensions.Add('nuspec') | Out-Null
    $defaults = ($extensions | ForEach-Object { "  <Default Extension=`"$(ConvertTo-Xml $_)`" ContentType=`"application/octet-stream`" />" }) -join "`n"
    Add-Text '[Content_Types].xml' @"
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />
$defaults
</Types>
"@
    Add-Text '_rels/.rels' @"
<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/HandiImaging.nuspec" Id="R1" />
</Relationships>
"@
}
finally { $zip.Dispose() }
Move-Item -LiteralPath $partial -Destination $nupkg -Force

[pscustomobject]@{ Version = $version; ModulePath = $moduleDir; PackagePath = $nupkg }
