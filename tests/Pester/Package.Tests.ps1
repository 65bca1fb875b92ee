# Installing like a real module: the versioned module folder and the .nupkg from build/New-ModulePackage.ps1
# (what `build.ps1 Package` runs after the build), installed from a local repository in a fresh pwsh process.
BeforeAll {
    $script:root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).ProviderPath
    $script:version = (Import-PowerShellDataFile (Join-Path $root 'HandiImaging.psd1')).ModuleVersion
    $script:out = Join-Path $TestDrive 'out'
    $script:package = & (Join-Path $root 'build/New-ModulePackage.ps1') -Root $root -OutputPath $out

    # A fresh process whose HOME is a temporary folder, so its CurrentUser scope (module path and PSResourceGet's
    # repository store) is temporary too and nothing touches the real user's. XDG_DATA_HOME is cleared because
    # pwsh would honour it for the module path while PSResourceGet installs under HOME.
    function Invoke-FreshPwsh([string] $HomePath, [string] $Script) {
        New-Item -ItemType Directory -Path $HomePath -Force | Out-Null
        $saved = @{ HOME = $env:HOME; XDG_DATA_HOME = $env:XDG_DATA_HOME; PSModulePath = $env:PSModulePath }
        try {
            $env:HOME = $HomePath
            $env:XDG_DATA_HOME = $null
            $env:PSModulePath = $null
            $output = & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $Script 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
        }
        finally {
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        }
    }
}

Describe 'The module package' {
    It 'lays out HandiImaging/<version>/ with its own manifest, binaries, dependencies, help and formats' {
        $dir = Join-Path $out "HandiImaging/$version"
        $package.ModulePath | Should -Be $dir
        foreach ($file in 'HandiImaging.psd1', 'bin/HandiImaging.dll', 'bin/HandiImaging.Core.dll', 'bin/HandiImaging.Dicom.dll',
            'bin/dependencies/CsvHelper.dll', 'bin/dependencies/Newtonsoft.Json.dll', 'bin/dependencies/DocumentFormat.OpenXml.dll',
            'en-US/HandiImaging.dll-Help.xml', 'en-US/about_HandiImaging.help.txt', 'formats/HandiImaging.Warehouse.Format.ps1xml') {
            Join-Path $dir $file | Should -Exist
        }
        $manifest = Import-PowerShellDataFile (Join-Path $dir 'HandiImaging.psd1')
        $manifest.RootModule | Should -Be 'bin/HandiImaging.dll'
        $manifest.ModuleVersion | Should -Be $version
        foreach ($format in $manifest.FormatsToProcess) { Join-Path $dir $format | Should -Exist }
        $rootManifest = Import-PowerShellDataFile (Join-Path $root 'HandiImaging.psd1')
        @($manifest.CmdletsToExport) | Should -Be @($rootManifest.CmdletsToExport)
        @($manifest.FormatsToProcess).Count | Should -Be @($rootManifest.FormatsToProcess).Count
        Get-ChildItem -Recurse -File $dir | Where-Object Extension -in '.pdb', '.deps.json' | Should -BeNullOrEmpty
        Join-Path $dir 'bin/System.Management.Automation.dll' | Should -Not -Exist
    }

    It 'is a PowerShell module .nupkg: the .nuspec tagged PSModule and the module files at the package root' {
        $package.PackagePath | Should -Be (Join-Path $out "HandiImaging.$version.nupkg")
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($package.PackagePath)
        try {
            $names = @($zip.Entries.FullName)
            foreach ($name in 'HandiImaging.nuspec', 'HandiImaging.psd1', 'bin/HandiImaging.dll', 'bin/dependencies/CsvHelper.dll', 'en-US/HandiImaging.dll-Help.xml', '[Content_Types].xml', '_rels/.rels') {
                $names | Should -Contain $name
            }
            $names | Where-Object { $_ -like "HandiImaging/*" -or $_ -like '*\*' } | Should -BeNullOrEmpty
            $reader = [System.IO.StreamReader]::new($zip.GetEntry('HandiImaging.nuspec').Open())
            [xml] $nuspec = $reader.ReadToEnd()
            $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $nuspec.package.metadata.id | Should -Be 'HandiImaging'
        $nuspec.package.metadata.version | Should -Be $version
        $tags = $nuspec.package.metadata.tags -split ' '
        $tags | Should -Contain 'PSModule'
        $tags | Should -Contain 'PSCmdlet_Measure-IngestFailureRate'
        $tags | Should -Contain 'PSEdition_Core'
    }

    It 'installs with Install-PSResource from a local repository and runs in a fresh process' {
        $script = @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name HandiTest -Uri '$out' -Trusted
Install-PSResource -Name HandiImaging -Version '$version' -Repository HandiTest -Scope CurrentUser -Quiet
Import-Module HandiImaging
'base=' + (Get-Module HandiImaging).ModuleBase
'cmdlets=' + (Get-Command -Module HandiImaging).Count
'synopsis=' + (Get-Help Publish-EdwSummary).Synopsis
Measure-IngestFailureRate -Counts @{ CT = @(400, 52) } | Select-Object -First 1 | Out-String -Width 120
Set-Content -LiteralPath '$TestDrive/cohort.csv' -Value "HospitalId,NhsNumber,Status,LastQueried,ReferenceDate``nH1,9434765919,New,,"
'subject=' + (Import-Cohort -Path '$TestDrive/cohort.csv' -AsOf 2025-01-06).Subject
"@
        $result = Invoke-FreshPwsh (Join-Path $TestDrive 'home-psresource') $script
        $result.Output | Should -Match ([regex]::Escape("base=$TestDrive/home-psresource/.local/share/powershell/Modules/HandiImaging/$version"))
        $result.Output | Should -Match "cmdlets=$(@((Import-PowerShellDataFile (Join-Path $root 'HandiImaging.psd1')).CmdletsToExport).Count)\b"
        $result.Output | Should -Match 'synopsis=Publishes the master summary'
        $result.Output | Should -Match 'CT\s+400\s+52\s+13\.0 %\s+7\.4 %\s+5\.71E-05\s+High'
        # Import-Cohort reads through CsvHelper: the third-party dependency resolves from the installed module.
        $result.Output | Should -Match 'subject=9434765919'
        $result.ExitCode | Should -Be 0 -Because $result.Output
    }

    It 'installs with Install-Module (PowerShellGet 2, as on Windows PowerShell 5.1) from the same folder' {
        $script = @"
`$ErrorActionPreference = 'Stop'
Register-PSRepository -Name HandiTest -SourceLocation '$out' -InstallationPolicy Trusted
Install-Module -Name HandiImaging -RequiredVersion '$version' -Repository HandiTest -Scope CurrentUser
Import-Module HandiImaging
'base=' + (Get-Module HandiImaging).ModuleBase
'valid=' + (Test-NhsNumber 9434765919).IsValid
"@
        $result = Invoke-FreshPwsh (Join-Path $TestDrive 'home-powershellget') $script
        $result.Output | Should -Match ([regex]::Escape("base=$TestDrive/home-powershellget/.local/share/powershell/Modules/HandiImaging/$version"))
        $result.Output | Should -Match 'valid=True'
        $result.ExitCode | Should -Be 0 -Because $result.Output
    }
}
