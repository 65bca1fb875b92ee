# Ingestion failures: ConvertFrom-IngestFailure and the failure ledger (Add/Get/Update-IngestFailure).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force

    # One record in each shape, plus a placeholder, an exact repeat and an unreadable line (line 8).
    $script:failureText = @(
        'json'
        '"{""accessionNumber"":""0123"",""id"":""H1"",""studyDate"":""20200102"",""studyDescription"":""CT Neck, with contrast"",""studyInstanceUid"":""1.2.1""}"'
        '"{""accessionNumber"":""456"""' + "`t" + '"""id"":""H2"""' + "`t" + '"""studyDescription"":""MR Head"' + "`t" + '" post"""' + "`t" + '"""studyInstanceUid"":""1.2.2""}"'
        '[{'
        '  "accessionNumber": 789, "patient": {"id": "H3"}, "studyDate": "2021-05-06", "studyInstanceUid": null'
        '}]'
        '{"accessionNumber":"999","id":"H1","studyDate":"2099-01-01","studyDescription":"CT","studyInstanceUid":"1.2.9"}'
        '{"accessionNumber":"111","id":"H1","studyDa'
        '"accessionNumber":"0123" "id":"H1" "studyDate":"2020-01-02" "studyDescription":"CT Neck, with contrast" "studyInstanceUid":"1.2.1"'
        '"accessionNumber":"222" "id":"H4" "studyDate":"2022-02-02" "studyDescription":"XR OPG" "studyInstanceUid":"1.2.4"'
    ) -join "`n"
    $script:mapText = "HospitalID,NHSNumber`nH1,9434765919`nH2,`nH4,4010232137`n"

    function New-FailureFiles {
        Set-Content -LiteralPath TestDrive:/PACs-failures.txt -Value $failureText -NoNewline
        Set-Content -LiteralPath TestDrive:/HospitalID-NHSNumber.csv -Value $mapText -NoNewline
    }

    function New-SessionFolder([string] $Name, [hashtable] $Files) {
        $folder = New-Item -ItemType Directory -Path "TestDrive:/$Name" -Force
        foreach ($file in $Files.Keys) { Set-Content -LiteralPath (Join-Path $folder.FullName $file) -Value $Files[$file] }
        $folder.FullName
    }
}

Describe 'ConvertFrom-IngestFailure' {
    BeforeEach { New-FailureFiles }

    It 'reads every shape from a TestDrive: path and maps hospital IDs to subjects' {
        $result = @(ConvertFrom-IngestFailure -Path TestDrive:/PACs-failures.txt -IdMapPath TestDrive:/HospitalID-NHSNumber.csv -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
        $result.AccessionNumber | Should -Be @('0123', '456', '789', '222')
        $result.Subject | Should -Be @('9434765919', 'NN_H2', 'NN_H3', '4010232137')
        $result.StudyDate | Should -Be @('2020-01-02', '', '2021-05-06', '2022-02-02')
        $result[1].StudyDescription | Should -Be 'MR Head, post'
        $result[2].HospitalId | Should -Be 'H3'
        $result[0].Source | Should -Match 'PACs-failures\.txt:2$'
        $result[0].PSObject.TypeNames[0] | Should -Be 'HandiImaging.Core.Failures.IngestFailure'
    }

    It 'returns placeholders only with -IncludePlaceholder' {
        $result = ConvertFrom-IngestFailure -LiteralPath TestDrive:/PACs-failures.txt -IncludePlaceholder -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $result.AccessionNumber | Should -Contain '999'
        ($result | Where-Object AccessionNumber -eq '999').StudyDate | Should -Be '2099-01-01'
    }

    It 'reports an unreadable record as a non-terminating error naming its line, and still returns the others' {
        $result = ConvertFrom-IngestFailure TestDrive:/PACs-failures.txt -ErrorVariable failures -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        @($result).Count | Should -Be 4
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'UnreadableFailureRecord,HandiImaging.Commands.ConvertFromIngestFailureCommand'
        $failures[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $failures[0].TargetObject | Should -Match 'PACs-failures\.txt:8$'
        $failures[0].Exception.Message | Should -Match 'line 8'
    }

    It 'warns with counts and IDs for unmapped and blank-mapped patients' {
        $null = ConvertFrom-IngestFailure TestDrive:/PACs-failures.txt -IdMapPath TestDrive:/HospitalID-NHSNumber.csv -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
        ($warnings -join "`n") | Should -Match '1 hospital ID\(s\) are not in the ID map .*\(1 record\(s\)\).*NN_<HospitalID>: H3'
        ($warnings -join "`n") | Should -Match '1 hospital ID\(s\) have no NHS number .*: H2'
        ($warnings -join "`n") | Should -Not -Match 'CT Neck|MR Head'
    }

    It 'warns that every subject is NN_ when no ID map is given' {
        $result = ConvertFrom-IngestFailure TestDrive:/PACs-failures.txt -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
        $result.Subject | Should -Be @('NN_H1', 'NN_H2', 'NN_H3', 'NN_H4')
        ($warnings -join "`n") | Should -Match 'No -IdMapPath given: all 4'
    }

    It 'reads text piped one line at a time, including a pretty-printed array' {
        $lines = @('[', '  {', '    "accessionNumber": "5",', '    "id": "H1",', '    "studyDate": "20240101"', '  }', ']')
        $result = $lines | ConvertFrom-IngestFailure -IdMapPath TestDrive:/HospitalID-NHSNumber.csv
        $result.AccessionNumber | Should -Be '5'
        $result.Subject | Should -Be '9434765919'
        $result.StudyDate | Should -Be '2024-01-01'
        $result.Source | Should -Be 'InputObject:2'
    }

    It 'takes files from Get-ChildItem by PSPath and wildcards in -Path' {
        Copy-Item TestDrive:/PACs-failures.txt TestDrive:/PACs-failures-2.txt
        $piped = Get-ChildItem TestDrive:/PACs-failures*.txt | ConvertFrom-IngestFailure -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $wild = ConvertFrom-IngestFailure -Path TestDrive:/PACs-fail*.txt -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        # The second file repeats the first exactly, so its records collapse into the first's.
        @($piped).Count | Should -Be 4
        @($wild).Count | Should -Be 4
    }

    It 'fails with PathNotFound for a missing file and IdMapUnreadable for a map without its columns' {
        { ConvertFrom-IngestFailure -LiteralPath TestDrive:/nope.txt -ErrorAction Stop } | Should -Throw -ErrorId 'PathNotFound,HandiImaging.Commands.ConvertFromIngestFailureCommand'
        Set-Content -LiteralPath TestDrive:/badmap.csv -Value "Hospital,NHS`nH1,1"
        { ConvertFrom-IngestFailure TestDrive:/PACs-failures.txt -IdMapPath TestDrive:/badmap.csv -ErrorAction Stop } | Should -Throw -ErrorId 'IdMapUnreadable,HandiImaging.Commands.ConvertFromIngestFailureCommand'
    }

    It 'formats as a table' {
        (ConvertFrom-IngestFailure TestDrive:/PACs-failures.txt -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Out-String) |
            Should -Match 'Subject\s+StudyDate\s+AccessionNumber\s+StudyDescription'
    }
}

Describe 'The failure ledger' {
    BeforeEach {
        New-FailureFiles
        Remove-Item TestDrive:/ledger* -Force -ErrorAction SilentlyContinue
        $script:ledger = 'TestDrive:/ledger.csv'
    }

    It 'takes ConvertFrom-IngestFailure output and gives it back through Get-IngestFailure' {
        $change = ConvertFrom-IngestFailure TestDrive:/PACs-failures.txt -IdMapPath TestDrive:/HospitalID-NHSNumber.csv -ErrorAction SilentlyContinue -WarningAction SilentlyContinue |
            Add-IngestFailure -LedgerPath $ledger -AsOf '2024-01-15'
        $change.Added | Should -Be 4
        $change.Open | Should -Be 4
        (Get-Content -LiteralPath $ledger -First 1) | Should -Be 'Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn'
        $rows = Get-IngestFailure -LedgerPath $ledger
        $rows.AccessionNumber | Should -Be @('0123', '456', '789', '222')
        $rows[0].FirstSeen | Should -Be ([datetime]'2024-01-15')
        $rows[0].Status | Should -Be 'Open'
        $rows[0].PSObject.TypeNames[0] | Should -Be 'HandiImaging.Core.Failures.IngestFailureLedgerEntry'
        ($rows | Out-String) | Should -Match 'Status\s+Subject\s+StudyDate\s+AccessionNumber'
    }

    It 'binds Import-Csv rows of an earlier failure CSV by property name, and counts repeats' {
        Set-Content -LiteralPath TestDrive:/old.csv -Value @(
            'Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid'
            '9434765919,2019-03-04,0042,"CT, old",1.9.1'
            'NN_H2,2019-03-05,0043,MR,'
        )
        (Import-Csv -LiteralPath TestDrive:/old.csv | Add-IngestFailure $ledger -AsOf '2023-12-31').Added | Should -Be 2
        $again = Import-Csv -LiteralPath TestDrive:/old.csv | Add-IngestFailure $ledger -AsOf '2024-03-31'
        $again.Added | Should -Be 0
        $again.Updated | Should -Be 2
        $rows = Get-IngestFailure $ledger
        $rows.AccessionNumber | Should -Be @('0042', '0043')
        $rows.TimesSeen | Should -Be @(2, 2)
        $rows[0].LastSeen | Should -Be ([datetime]'2024-03-31')
        # Get-IngestFailure rows flow back in too.
        (Get-IngestFailure $ledger | Add-IngestFailure $ledger -AsOf '2024-03-31').Updated | Should -Be 2
    }

    It 'rejects a record with neither UID nor accession number as InvalidFailureRecord' {
        [pscustomobject]@{ Subject = 'NN_H9'; StudyDescription = 'CT' } | Add-IngestFailure $ledger -ErrorVariable bad -ErrorAction SilentlyContinue
        $bad[0].FullyQualifiedErrorId | Should -Be 'InvalidFailureRecord,HandiImaging.Commands.AddIngestFailureCommand'
        (Get-IngestFailure $ledger).Count | Should -Be 0
    }

    It 'writes nothing under -WhatIf, not even the folder' {
        $deep = 'TestDrive:/new-folder/ledger.csv'
        ConvertFrom-IngestFailure TestDrive:/PACs-failures.txt -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Add-IngestFailure $deep -WhatIf
        'TestDrive:/new-folder' | Should -Not -Exist

        ConvertFrom-IngestFailure TestDrive:/PACs-failures.txt -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Add-IngestFailure $ledger -AsOf '2024-01-15' | Out-Null
        $before = Get-FileHash -LiteralPath (Convert-Path $ledger)
        $sessions = New-SessionFolder 'whatif' @{ 'CT.csv' = "Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans`nS,2020-01-02,X,1.2.1,3" }
        $files = (Get-ChildItem TestDrive:/ -Recurse -Force).FullName
        [pscustomobject]@{ StudyInstanceUid = '7.7.7'; AccessionNumber = '7' } | Add-IngestFailure $ledger -WhatIf
        Update-IngestFailure $ledger $sessions -WhatIf -WarningAction SilentlyContinue
        (Get-FileHash -LiteralPath (Convert-Path $ledger)).Hash | Should -Be $before.Hash
        (Get-ChildItem TestDrive:/ -Recurse -Force).FullName | Should -Be $files
    }

    It 'resolves failures found in the session exports, filters by -Status and never deletes' {
        ConvertFrom-IngestFailure TestDrive:/PACs-failures.txt -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Add-IngestFailure $ledger | Out-Null
        $sessions = New-SessionFolder 'q2' @{
            'CT.csv' = "Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans`nS,2020-01-02,X1,1.2.1,3"
            'MR.csv' = "Subject,Date,MR ID,Scanner,Scans`nS,2021-05-06,789,Avanto,4"
            'CR.csv' = "Subject,Date,XNAT_CRSESSIONDATA ID,ID,Session`nS,2022-02-02,Z9,222,1"
        }
        $change = Update-IngestFailure -LedgerPath $ledger -SessionPath $sessions -AsOf '2024-06-30' -WarningVariable warnings -WarningAction SilentlyContinue
        $change.Resolved | Should -Be 2
        ($warnings -join ' ') | Should -Match 'PET\.csv.*not found'
        (Get-IngestFailure $ledger -Status Resolved).AccessionNumber | Should -Be @('0123', '789')
        (Get-IngestFailure $ledger -Status Open).AccessionNumber | Should -Be @('456', '222')
        (Get-IngestFailure $ledger -Status Resolved)[0].ResolvedOn | Should -Be ([datetime]'2024-06-30')
        @(Get-IngestFailure $ledger).Count | Should -Be 4
        "$(Convert-Path $ledger).bak" | Should -Exist
    }

    It 'stops with SessionFileMissing when the folder has no session export' {
        [pscustomobject]@{ StudyInstanceUid = '1.1'; AccessionNumber = '1' } | Add-IngestFailure $ledger | Out-Null
        $empty = New-SessionFolder 'empty' @{ 'notes.txt' = 'x' }
        { Update-IngestFailure $ledger $empty -ErrorAction Stop } | Should -Throw -ErrorId 'SessionFileMissing,HandiImaging.Commands.UpdateIngestFailureCommand'
        { Update-IngestFailure TestDrive:/missing.csv $empty -ErrorAction Stop } | Should -Throw -ErrorId 'PathNotFound,HandiImaging.Commands.UpdateIngestFailureCommand'
        { Get-IngestFailure TestDrive:/missing.csv -ErrorAction Stop } | Should -Throw -ErrorId 'PathNotFound,HandiImaging.Commands.GetIngestFailureCommand'
    }

    It 'reports a corrupt ledger as LedgerCorrupt naming line and field, and leaves it untouched' {
        $corrupt = "Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn`r`nS,2020-01-01,A,D,1.1,H,2024-01-01,2024-01-01,many,f:1,Open,`r`n"
        Set-Content -LiteralPath $ledger -Value $corrupt -NoNewline
        $sessions = New-SessionFolder 'c' @{ 'CT.csv' = "Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans`nS,2020-01-02,X1,1.1,3" }
        $err = { Get-IngestFailure $ledger -ErrorAction Stop } | Should -Throw -ErrorId 'LedgerCorrupt,HandiImaging.Commands.GetIngestFailureCommand' -PassThru
        $err.Exception.Message | Should -Match "line 2, field 'TimesSeen'"
        { [pscustomobject]@{ StudyInstanceUid = '2.2'; AccessionNumber = '2' } | Add-IngestFailure $ledger -ErrorAction Stop } | Should -Throw -ErrorId 'LedgerCorrupt,HandiImaging.Commands.AddIngestFailureCommand'
        { Update-IngestFailure $ledger $sessions -ErrorAction Stop -WarningAction SilentlyContinue } | Should -Throw -ErrorId 'LedgerCorrupt,HandiImaging.Commands.UpdateIngestFailureCommand'
        Get-Content -LiteralPath $ledger -Raw | Should -Be $corrupt
        "$(Convert-Path $ledger).bak" | Should -Not -Exist
    }

    It 'loses no row when several processes add at once' {
        $path = Join-Path $TestDrive 'shared-ledger.csv'
        $manifest = (Resolve-Path (Join-Path $PSScriptRoot '../../HandiImaging.psd1')).ProviderPath
        $pwsh = Join-Path $PSHOME 'pwsh.dll'
        $processes = foreach ($writer in 1..3) {
            $script = "Import-Module '$manifest'; foreach (`$i in 1..15) { [pscustomobject]@{ StudyInstanceUid = `"9.$writer.`$i`"; AccessionNumber = `"A$writer-`$i`"; Subject = 'S' } | Add-IngestFailure -LedgerPath '$path' | Out-Null }"
            $info = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
            foreach ($arg in @($pwsh, '-NoProfile', '-NonInteractive', '-Command', $script)) { $info.ArgumentList.Add($arg) }
            $info.UseShellExecute = $false
            [System.Diagnostics.Process]::Start($info)
        }
        foreach ($p in $processes) { $p.WaitForExit(120000) | Should -BeTrue; $p.ExitCode | Should -Be 0 }
        $rows = Get-IngestFailure $path
        @($rows).Count | Should -Be 45
        @($rows.StudyInstanceUid | Sort-Object -Unique).Count | Should -Be 45
    }
}
