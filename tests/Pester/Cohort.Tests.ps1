# Import-Cohort and Update-Cohort, and the cohort's binding into Find-PacsStudy against a real dcmqrscp.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force

    function Write-Cohort([string] $Path, [string[]] $Rows) {
        $text = (@('HospitalId,NhsNumber,Status,LastQueried,ReferenceDate,Note') + $Rows) -join "`r`n"
        [IO.File]::WriteAllText((Resolve-Path -LiteralPath (Split-Path $Path)).ProviderPath + '/' + (Split-Path $Path -Leaf), $text + "`r`n")
    }
}

Describe 'Import-Cohort' {
    BeforeEach {
        Write-Cohort TestDrive:/cohort.csv @(
            'H1,9434765919,Existing,2024-10-01,2023-05-02,"seen, twice"'
            'H2,,New,,,'
            'H3,9434765918,Existing,15/10/2024,,'
            'H4,,Existing,,,'
            'H5,,Exisitng,2024-01-01,,'
            'H6,4010232137,Existing,2024-01-01,,'
        )
        Set-Content -LiteralPath TestDrive:/deceased.csv -Value "Hospital Number,NHS Number,Date of Death`r`n,401 023 2137,03/02/2024"
    }

    It 'returns each patient with a query window from a TestDrive: path' {
        $patients = Import-Cohort -Path TestDrive:/cohort.csv -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $patients | Should -HaveCount 4
        $patients[0] | Should -BeOfType ([HandiImaging.Core.Cohort.CohortPatient])
        $patients.PatientId | Should -Be @('H1', 'H2', 'H3', 'H6')
        $patients[0].Since | Should -Be ([datetime]'2024-09-17')
        $patients[1].Since | Should -BeNullOrEmpty
        $patients[1].Subject | Should -Be 'NN_H2'
        $patients[2].Since | Should -Be ([datetime]'2024-10-01')   # 15/10/2024 is 15 October
        $patients[2].NhsNumberValid | Should -BeFalse
        $patients[0].Note | Should -Be 'seen, twice'
    }

    It 'reports each bad row as a non-terminating error naming file, line and field' {
        $patients = Import-Cohort -Path TestDrive:/cohort.csv -ErrorVariable bad -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $patients | Should -HaveCount 4
        $bad | Should -HaveCount 2
        $bad.FullyQualifiedErrorId | Should -Be @('InvalidCohortRow,HandiImaging.Commands.ImportCohortCommand', 'InvalidCohortRow,HandiImaging.Commands.ImportCohortCommand')
        $bad[0].Exception.Message | Should -Match "cohort\.csv, line 5, field 'LastQueried'"
        $bad[1].Exception.Message | Should -Match "line 6, field 'Status': status 'Exisitng'"
    }

    It 'warns about each NHS number that fails the check digit, naming its line and hospital ID' {
        $null = Import-Cohort -Path TestDrive:/cohort.csv -WarningVariable warned -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
        $warned | Should -HaveCount 1
        "$warned" | Should -Match "cohort\.csv, line 4, field 'NhsNumber': NHS number 9434765918 of hospital ID H3 check digit is 8, expected 9"
    }

    It 'leaves deceased patients out and counts them in the verbose stream' {
        $verbose = Import-Cohort TestDrive:/cohort.csv -DeceasedPath TestDrive:/deceased.csv -Verbose -ErrorAction SilentlyContinue -WarningAction SilentlyContinue 4>&1
        $patients = $verbose | Where-Object { $_ -is [HandiImaging.Core.Cohort.CohortPatient] }
        $patients.PatientId | Should -Not -Contain 'H6'
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match '1 deceased patients left out'
    }

    It 'takes -OverlapDays and binds -LiteralPath from Get-Item' {
        $p = Get-Item TestDrive:/cohort.csv | Import-Cohort -OverlapDays 0 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $p[0].Since | Should -Be ([datetime]'2024-10-01')
    }

    It 'fails with <Id> when <Case>' -ForEach @(
        @{ Case = 'the file does not exist'; Id = 'PathNotFound'; Arguments = @{ Path = 'TestDrive:/none.csv' } }
        @{ Case = 'a required column is missing'; Id = 'CohortFileUnreadable'; File = "HospitalId,Status`r`nH1,New" }
        @{ Case = 'the deceased extract has no identifier column'; Id = 'DeceasedFileUnreadable'; Deceased = "Name`r`nX" }
    ) {
        if ($File) { Set-Content -LiteralPath TestDrive:/cohort.csv -Value $File }
        if ($Deceased) { Set-Content -LiteralPath TestDrive:/deceased.csv -Value $Deceased }
        $arguments = if ($Arguments) { $Arguments } elseif ($Deceased) { @{ Path = 'TestDrive:/cohort.csv'; DeceasedPath = 'TestDrive:/deceased.csv' } } else { @{ Path = 'TestDrive:/cohort.csv' } }
        $err = $null
        try { Import-Cohort @arguments -ErrorAction Stop -WarningAction SilentlyContinue } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "$Id,HandiImaging.Commands.ImportCohortCommand"
    }

    It 'formats as a table that fits 80 columns' {
        $text = Import-Cohort TestDrive:/cohort.csv -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Format-Table | Out-String -Width 80
        $text | Should -Match 'PatientId\s+Subject\s+Valid\s+Status\s+LastQueried\s+Since'
        $text | Should -Match 'H1\s+9434765919\s+True\s+Existing\s+2024-10-01\s+2024-09-17'
    }
}

Describe 'Update-Cohort' {
    BeforeEach {
        Write-Cohort TestDrive:/cohort.csv @('H1,,Existing,2024-10-01,,keep', 'H2,,New,,,', 'H3,,New,,,"a, b"')
        Remove-Item TestDrive:/cohort.csv.bak -ErrorAction SilentlyContinue
        $script:before = Get-Content -LiteralPath TestDrive:/cohort.csv -Raw
    }

    It 'advances only the patients given and keeps the rest of the file' {
        Import-Cohort TestDrive:/cohort.csv | Where-Object PatientId -ne 'H3' | Update-Cohort -Path TestDrive:/cohort.csv -AsOf 2025-01-06
        Get-Content -LiteralPath TestDrive:/cohort.csv | Should -Be @(
            'HospitalId,NhsNumber,Status,LastQueried,ReferenceDate,Note'
            'H1,,Existing,2025-01-06,,keep'
            'H2,,Existing,2025-01-06,,'
            'H3,,New,,,"a, b"')
        Get-Content -LiteralPath TestDrive:/cohort.csv.bak -Raw | Should -Be $before
    }

    It 'binds hospital IDs as strings and Import-Csv rows by HospitalId, and returns the changes with -PassThru' {
        Set-Content -LiteralPath TestDrive:/ok.csv -Value "HospitalId,Result`r`nH3,ok"
        $changes = @('H2') + @(Import-Csv -LiteralPath TestDrive:/ok.csv) | Update-Cohort -Path TestDrive:/cohort.csv -AsOf 2025-02-01 -PassThru
        $changes.HospitalId | Should -Be @('H2', 'H3')
        $changes.Promoted | Should -Be @($true, $true)
        (Import-Cohort TestDrive:/cohort.csv | Where-Object Status -eq New) | Should -BeNullOrEmpty
    }

    It 'writes nothing with -WhatIf' {
        'H1', 'H2' | Update-Cohort -Path TestDrive:/cohort.csv -WhatIf
        Get-Content -LiteralPath TestDrive:/cohort.csv -Raw | Should -Be $before
        'TestDrive:/cohort.csv.bak' | Should -Not -Exist
    }

    It 'reports a patient the cohort does not list as PatientNotInCohort' {
        'H9', 'H2' | Update-Cohort -Path TestDrive:/cohort.csv -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad.FullyQualifiedErrorId | Should -Be 'PatientNotInCohort,HandiImaging.Commands.UpdateCohortCommand'
        $bad.TargetObject | Should -Be 'H9'
        (Get-Content -LiteralPath TestDrive:/cohort.csv)[2] | Should -Match '^H2,,Existing,'
    }

    It 'waits while another run holds the lock, then writes' {
        $held = [HandiImaging.Core.IO.FileLock]::Acquire((Resolve-Path TestDrive:/cohort.csv).ProviderPath, [timespan]::FromSeconds(1), [Threading.CancellationToken]::None)
        $job = Start-ThreadJob -ScriptBlock { param($lock) Start-Sleep -Milliseconds 500; $lock.Dispose() } -ArgumentList $held
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            'H2' | Update-Cohort -Path TestDrive:/cohort.csv -ErrorAction Stop
            $watch.ElapsedMilliseconds | Should -BeGreaterOrEqual 300
            (Get-Content -LiteralPath TestDrive:/cohort.csv)[2] | Should -Match '^H2,,Existing,'
        }
        finally { $job | Wait-Job | Remove-Job; $held.Dispose() }
    }
}

Describe 'Import-Cohort | Find-PacsStudy | Select-RelevantStudy against a real dcmqrscp' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot '../../examples/DemoPacs.psm1') -Force
        $script:work = Join-Path ([IO.Path]::GetTempPath()) "handi-cohort-$PID"
        function S($PatientId, $Date, $Accession, $Description, $Modality) {
            [pscustomobject]@{ PatientId = $PatientId; PatientName = 'Test^Patient'; StudyDate = $Date; AccessionNumber = $Accession
                StudyDescription = $Description; StudyInstanceUid = "1.2.826.0.1.3680043.9.72.$Accession"; Modality = $Modality }
        }
        $studies = @(
            S H100 20230110 101 'CT Neck' CT            # before H100's window
            S H100 20240920 102 'CT NECK ' CT           # inside the overlap before LastQueried
            S H100 20241105 103 'XR Chest' CR
            S H100 20241106 104 'CT Neck Dual Energy' CT
            S H200 20100101 201 'MRI Head and Neck' MR  # new patient: all time
            S H200 20990101 202 'MRI Head and Neck' MR  # scheduled, never done
            S H300 20241201 301 'CT Neck' CT            # deceased: never asked for
        )
        $script:pacs = Start-DemoPacs -Path (Join-Path $work 'pacs') -Study $studies
        $script:connection = New-PacsConnection -HostName 127.0.0.1 -Port $pacs.Port -CalledAeTitle $pacs.AeTitle -CallingAeTitle HANDI -TimeoutSeconds 10
        Write-Cohort TestDrive:/cohort.csv @('H100,9434765919,Existing,2024-10-01,,', 'H200,,New,,,', 'H300,4010232137,Existing,2024-10-01,,')
        Set-Content -LiteralPath TestDrive:/deceased.csv -Value "HospitalId`r`nH300"
        Set-Content -LiteralPath TestDrive:/rules.csv -Value "Description,Decision,DecidedBy,DecidedOn,Note`r`nCT Neck,Include,,,`r`nMRI Head and Neck,Include,,,`r`nXR Chest,Exclude,,,"
    }
    AfterAll {
        if ($pacs) { Stop-DemoPacs $pacs }
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'queries each patient over its own window and keeps the included studies' {
        $rules = Import-StudyRule TestDrive:/rules.csv
        $all = Import-Cohort TestDrive:/cohort.csv -DeceasedPath TestDrive:/deceased.csv |
            Find-PacsStudy -Connection $connection |
            Select-RelevantStudy -RuleSet $rules -Decision All -WarningVariable warned -WarningAction SilentlyContinue
        ($all | Sort-Object AccessionNumber).AccessionNumber | Should -Be @('102', '103', '104', '201', '202')
        ($all | Sort-Object AccessionNumber).Decision | Should -Be @('Include', 'Exclude', 'Review', 'Include', 'Exclude')
        $warned | Should -HaveCount 1
        "$warned" | Should -Match '^1 studies \(1 distinct descriptions\)'
    }
}
