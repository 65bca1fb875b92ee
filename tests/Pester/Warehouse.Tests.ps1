# The end of the quarter: Measure-IngestFailureRate (the alarm) and Publish-EdwSummary (the warehouse hand-off).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force
}

Describe 'Measure-IngestFailureRate' {
    It 'judges a -Counts hashtable against the historic baselines, one result per group' {
        $result = @(Measure-IngestFailureRate -Counts @{ CT = @{ Attempted = 400; Failed = 52 }; MR = @(150, 9); PT = @(10, 2); NM = @{ Attempted = '5'; Failed = '1' } })
        $result.Group | Should -Be @('CT', 'MR', 'PET+NM', 'RF+XA', 'CR+DX')
        $result[0].Verdict | Should -Be 'High'
        $result[0].PValue | Should -BeLessThan 0.0001
        $result[1].Verdict | Should -Be 'Normal'
        $result[2].Attempted | Should -Be 15
        $result[2].Failed | Should -Be 3
        $result[3].Attempted | Should -Be 0
    }

    It 'reads Import-Csv rows of studies with Modality and Status, and reports pending or unknown ones per item' {
        @(
            'Modality,Status,StudyInstanceUid'
            'CT,RECEIVED,1.1'
            'CT,FAILED,1.2'
            'CT\PT,Failed,1.3'
            'SR,Received,1.4'
            'MR,QUEUED,1.5'
            'MR,Skipped,1.6'
        ) | Set-Content TestDrive:/results.csv
        $result = Import-Csv TestDrive:/results.csv | Measure-IngestFailureRate -ErrorVariable problems -ErrorAction SilentlyContinue -WarningVariable warnings -WarningAction SilentlyContinue
        ($result | Where-Object Group -eq CT).Attempted | Should -Be 2
        ($result | Where-Object Group -eq CT).Failed | Should -Be 1
        ($result | Where-Object Group -eq 'PET+NM').Failed | Should -Be 1
        ($result | Where-Object Group -eq MR).Attempted | Should -Be 0
        @($problems).Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UnknownImportStatus,*'
        $problems[0].TargetObject | Should -Be '1.5'
        "$warnings" | Should -Match 'SR: 1'
    }

    It 'counts selected studies as attempted and those in -Failure as failed' {
        $studies = 1..20 | ForEach-Object { [pscustomobject]@{ ModalitiesInStudy = @('DX'); StudyInstanceUid = "2.$_"; AccessionNumber = "A$_" } }
        $failures = @(
            [HandiImaging.Core.Failures.IngestFailure]@{ StudyInstanceUid = '2.1'; AccessionNumber = 'A1' }
            [HandiImaging.Core.Failures.IngestFailure]@{ StudyInstanceUid = ''; AccessionNumber = 'A2' }
            [HandiImaging.Core.Failures.IngestFailure]@{ StudyInstanceUid = '9.9'; AccessionNumber = 'Z' }
        )
        $dental = $studies | Measure-IngestFailureRate -Failure $failures -WarningVariable warnings -WarningAction SilentlyContinue | Where-Object Group -eq 'CR+DX'
        $dental.Attempted | Should -Be 20
        $dental.Failed | Should -Be 2
        $dental.Rate | Should -Be 0.1
        "$warnings" | Should -Match '1 failure\(s\) in -Failure match none'
    }

    It 'leaves out, with a warning, studies whose modality cell is empty' {
        "Modality,Status`nCT,Received`n,Failed" | Set-Content TestDrive:/blank.csv
        $result = Import-Csv TestDrive:/blank.csv | Measure-IngestFailureRate -WarningVariable warnings -WarningAction SilentlyContinue
        ($result | Measure-Object Attempted -Sum).Sum | Should -Be 1
        "$warnings" | Should -Match '\(none\): 1'
    }

    It 'refuses studies with neither a status nor a -Failure list' {
        [pscustomobject]@{ Modality = 'CT'; StudyInstanceUid = '1.1' } | Measure-IngestFailureRate -ErrorVariable problems -ErrorAction SilentlyContinue | Out-Null
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'MissingImportStatus,*'
    }

    It 'takes Group/Attempted/Failed rows, so its own output can be re-judged with other baselines and alpha' {
        $again = Measure-IngestFailureRate -Counts @{ CT = @(400, 52) } | Measure-IngestFailureRate -Baseline @{ CT = '13%'; 'video' = 0.5 } -Alpha 0.05
        ($again | Where-Object Group -eq CT).BaselineRate | Should -Be 0.13
        ($again | Where-Object Group -eq CT).Verdict | Should -Be 'Normal'
        ($again | Where-Object Group -eq 'RF+XA').BaselineRate | Should -Be 0.5
        ($again | Where-Object Group -eq CT).Alpha | Should -Be 0.05
    }

    It 'refuses a baseline that is not a rate, naming it' {
        { Measure-IngestFailureRate -Counts @{ CT = @(1, 0) } -Baseline @{ CT = 7.4 } } | Should -Throw -ErrorId 'InvalidBaseline,*' -ExpectedMessage '*-Baseline CT*'
        { Measure-IngestFailureRate -Counts @{ CT = @(1, 0) } -Baseline @{ US = 0.1 } } | Should -Throw -ErrorId 'InvalidBaseline,*'
    }

    It 'reports impossible counts per item' {
        [pscustomobject]@{ Group = 'CT'; Attempted = 3; Failed = 4 } | Measure-IngestFailureRate -ErrorVariable problems -ErrorAction SilentlyContinue | Out-Null
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCount,*'
    }

    It 'shows a table' {
        $text = Measure-IngestFailureRate -Counts @{ CT = @(400, 52) } | Out-String -Width 120
        $text | Should -Match 'CT\s+400\s+52\s+13\.0 %\s+7\.4 %\s+5\.71E-05\s+High'
    }
}

Describe 'Publish-EdwSummary' {
    BeforeEach {
        Remove-Item TestDrive:/* -Recurse -Force -ErrorAction SilentlyContinue
        New-Item -ItemType Directory TestDrive:/run | Out-Null
        Set-Content TestDrive:/run/XNAT-summary.csv "Subject,Reference Date`r`n1234567881,2024-01-02"
        (Get-Item TestDrive:/run/XNAT-summary.csv).LastWriteTimeUtc = [datetime]::new(2025, 1, 6, 10, 15, 0, [DateTimeKind]::Utc)
    }

    It 'publishes a TestDrive: summary as a versioned file with a sha256sum sidecar' {
        $p = Publish-EdwSummary -Path TestDrive:/run/XNAT-summary.csv -DropFolder TestDrive:/drop
        $p.Status | Should -Be 'Published'
        $p.FileName | Should -Be 'XNAT-summary_20250106T101500Z.csv'
        @(Get-ChildItem -Force TestDrive:/drop).Name | Should -Be @('XNAT-summary_20250106T101500Z.csv', 'XNAT-summary_20250106T101500Z.csv.sha256')
        $hash = (Get-FileHash -Algorithm SHA256 TestDrive:/run/XNAT-summary.csv).Hash.ToLowerInvariant()
        $p.Sha256 | Should -Be $hash
        Get-Content -Raw TestDrive:/drop/XNAT-summary_20250106T101500Z.csv.sha256 | Should -Be "$hash  XNAT-summary_20250106T101500Z.csv`n"
    }

    It 'writes nothing under -WhatIf' {
        Publish-EdwSummary TestDrive:/run/XNAT-summary.csv TestDrive:/drop -WhatIf | Should -BeNullOrEmpty
        'TestDrive:/drop' | Should -Not -Exist
    }

    It 'refuses to publish over a newer version, and keeps the newest -Keep versions' {
        Publish-EdwSummary TestDrive:/run/XNAT-summary.csv TestDrive:/drop -Version ([datetime]::new(2025, 4, 7, 0, 0, 0, [DateTimeKind]::Utc)) | Out-Null
        { Publish-EdwSummary TestDrive:/run/XNAT-summary.csv TestDrive:/drop } | Should -Throw -ErrorId 'NewerVersionExists,*'
        @(Get-ChildItem TestDrive:/drop).Count | Should -Be 2
        Publish-EdwSummary TestDrive:/run/XNAT-summary.csv TestDrive:/drop -Version ([datetime]::new(2025, 7, 7, 0, 0, 0, [DateTimeKind]::Utc)) -Keep 1 | ForEach-Object Removed | Split-Path -Leaf |
            Should -Be 'XNAT-summary_20250407T000000Z.csv'
        @(Get-ChildItem TestDrive:/drop).Name | Should -Be @('XNAT-summary_20250707T000000Z.csv', 'XNAT-summary_20250707T000000Z.csv.sha256')
    }

    It 'takes Merge-XnatSummary''s result from the pipeline (OutputPath) and is harmless to repeat' {
        $merged = [pscustomobject]@{ OutputPath = (Resolve-Path TestDrive:/run/XNAT-summary.csv).ProviderPath }
        ($merged | Publish-EdwSummary -DropFolder TestDrive:/drop).Status | Should -Be 'Published'
        ($merged | Publish-EdwSummary -DropFolder TestDrive:/drop).Status | Should -Be 'AlreadyPublished'
    }
}
