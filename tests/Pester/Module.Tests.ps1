# The module as a whole: manifest, exports, help, format views, dependency loading.
BeforeDiscovery {
    $script:manifestPath = Join-Path $PSScriptRoot '../../HandiImaging.psd1'
    Import-Module $manifestPath -Force
    $script:cmdlets = @(Get-Command -Module HandiImaging -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    $script:manifestPath = Join-Path $PSScriptRoot '../../HandiImaging.psd1'
    Import-Module $manifestPath -Force
    $script:manifest = Import-PowerShellDataFile $manifestPath
    $script:commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'The module manifest' {
    It 'is valid' {
        { Test-ModuleManifest $manifestPath -ErrorAction Stop } | Should -Not -Throw
    }
    It 'loads in Windows PowerShell 5.1 and PowerShell 7' {
        $manifest.PowerShellVersion | Should -Be '5.1'
        $manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
    }
    It 'exports cmdlets explicitly, and exactly the cmdlets the assembly defines' {
        $manifest.CmdletsToExport | Should -Not -Contain '*'
        $defined = [HandiImaging.HandiCmdlet].Assembly.GetTypes() |
            Where-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
            ForEach-Object { $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]; "$($a.VerbName)-$($a.NounName)" }
        @($manifest.CmdletsToExport | Sort-Object) | Should -Be @($defined | Sort-Object)
        @((Get-Module HandiImaging).ExportedCmdlets.Keys | Sort-Object) | Should -Be @($defined | Sort-Object)
    }
    It 'lists format files that exist' {
        foreach ($file in $manifest.FormatsToProcess) { Join-Path (Split-Path $manifestPath) $file | Should -Exist }
    }
}

Describe 'Cmdlet <Name>' -ForEach $cmdlets {
    BeforeAll {
        $script:command = Get-Command $Name
        $script:help = Get-Help $Name -Full
    }
    It 'uses an approved verb and a singular noun' {
        (Get-Verb).Verb | Should -Contain $command.Verb
        $command.Noun | Should -Not -Match '(?<![su])s$'
    }
    It 'has a synopsis and a description' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without MAML, Get-Help shows the syntax as the synopsis.
        $help.Synopsis | Should -Not -Match ([regex]::Escape($Name) + ' \[')
        ($help.description.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty
    }
    It 'documents every parameter' {
        $parameters = $command.Parameters.Keys | Where-Object { $commonParameters -notcontains $_ }
        foreach ($parameter in $parameters) {
            $entry = $help.parameters.parameter | Where-Object Name -eq $parameter
            ($entry.description.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter needs help"
        }
    }
    It 'has at least one example with code and an explanation' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterThan 0
        foreach ($example in $examples) {
            $example.code | Should -Not -BeNullOrEmpty
            ($example.remarks.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty
        }
    }
    It 'declares its output type and has a table view for it' {
        $command.OutputType.Count | Should -BeGreaterThan 0
        foreach ($type in $command.OutputType) {
            $format = Get-FormatData -TypeName $type.Name
            $format | Should -Not -BeNullOrEmpty -Because "$($type.Name) needs a view in module/formats"
            @($format.FormatViewDefinition.Control | Where-Object { $_ -is [System.Management.Automation.TableControl] }).Count | Should -BeGreaterThan 0
        }
    }
}

Describe 'about_HandiImaging' {
    It 'is available through Get-Help' {
        (Get-Help about_HandiImaging | Out-String) | Should -Match 'Updating from PACS'
    }
}

Describe 'The dependency resolver' {
    It 'loads third-party assemblies from the module''s dependencies folder' {
        $assembly = [System.Reflection.Assembly]::Load('CsvHelper, Version=33.0.0.0, Culture=neutral, PublicKeyToken=8c4959082be5c823')
        $expected = Join-Path (Split-Path $manifestPath) 'module/bin/dependencies/CsvHelper.dll'
        $assembly.Location | Should -Be (Resolve-Path $expected).ProviderPath
    }
    It 'lays out the code-pages encodings and decodes a DICOM character set with them inside PowerShell' {
        Join-Path (Split-Path $manifestPath) 'module/bin/dependencies/System.Text.Encoding.CodePages.dll' | Should -Exist
        # (0008,0005) CS "ISO_IR 144" and (0010,0010) PN "ЛЮК" in ISO 8859-5, Implicit VR LE.
        [byte[]] $bytes = 0x08, 0, 0x05, 0, 10, 0, 0, 0 + [Text.Encoding]::ASCII.GetBytes('ISO_IR 144') + 0x10, 0, 0x10, 0, 4, 0, 0, 0, 0xBB, 0xCE, 0xBA, 0x20
        $dataset = [HandiImaging.Dicom.DicomDatasetCodec]::Decode($bytes, [HandiImaging.Dicom.DicomTransferSyntax]::ImplicitVRLittleEndian, $null)
        $dataset.GetString([HandiImaging.Dicom.DicomTags]::PatientName) | Should -BeExactly 'ЛЮК'
    }
    It 'refuses a newer version than the module ships' {
        { [System.Reflection.Assembly]::Load('CsvHelper, Version=99.0.0.0, Culture=neutral, PublicKeyToken=8c4959082be5c823') } | Should -Throw
    }
}
