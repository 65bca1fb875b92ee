# Merge-XnatSummary as users call it: provider paths, -WhatIf, ErrorIds, warnings, the result object.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force

    $script:headers = [ordered]@{
        MR  = 'Subject,Date,MR ID,Scanner,Scans'
        CT  = 'Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans'
        PET = 'Subject,Date,XNAT_PETSESSIONDATA ID,UID,Scans'
        CR  = 'Subject,Date,XNAT_CRSESSIONDATA ID,ID,Session'
        DX  = 'Subject,Date,XNAT_DXSESSIONDATA ID,UID,Scans'
        RF  = 'Subject,Date,XNAT_RFSESSIONDATA ID,ID,Session'
        SR  = 'Subject,Date,XNAT_SRSESSIONDATA ID,ID,Creator'
        XA  = 'Subject,Date,XNAT_XASESSIONDATA ID,ID,Creator'
    }

    # A session folder on TestDrive: with header-only exports except the rows given per type.
    function New-SessionFolder([string] $Name, [hashtable] $Rows = @{}) {
        $folder = New-Item -ItemType Directory -Path "TestDrive:/$Name" -Force
        foreach ($type in $headers.Keys) {
            $lines = @($headers[$type]) + @($Rows[$type] | Where-Object { $null -ne $_ })
            Set-Content -LiteralPath "TestDrive:/$Name/$type.csv" -Value $lines -Encoding utf8NoBOM
        }
        Set-Content -LiteralPath "TestDrive:/$Name/reference_dates.csv" -Value @('Subject,Reference Date', '9434765919,03/04/2020') -Encoding utf8NoBOM
        $folder
    }
}

Describe 'Merge-XnatSummary' {
    It 'reads and writes TestDrive: paths and returns the result' {
        New-SessionFolder q1 @{ CT = @('9434765919,2020-04-01,A1,1.2.3,7'); MR = @('NN_0012,2020-01-01,M1,"GE, Signa",3') }
        Set-Content -LiteralPath TestDrive:/q1/failures.csv -Value @('Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid', '9434765919,20200405,F1,CT Neck,1.9') -Encoding utf8NoBOM

        $result = Merge-XnatSummary -SessionPath TestDrive:/q1 -ReferenceDatePath TestDrive:/q1/reference_dates.csv -FailurePath TestDrive:/q1/failures.csv -OutputPath TestDrive:/out/summary.csv

        $result | Should -BeOfType ([HandiImaging.Core.Summary.XnatSummaryResult])
        $result.OutputPath | Should -Be (Join-Path (Get-PSDrive TestDrive).Root 'out/summary.csv')
        $result.SubjectCount | Should -Be 2
        $result.SessionsPerSection['CT'] | Should -Be 1
        $result.SessionsPerSection['MR'] | Should -Be 1
        $result.FailureCount | Should -Be 1
        $rows = Import-Csv -LiteralPath TestDrive:/out/summary.csv
        $rows.Subject | Should -Be @('9434765919', 'NN_0012')
        $rows[0].'Reference Date' | Should -Be '2020-04-03'
        $rows[0].'CT Difference from Reference Date 1' | Should -Be '-2'
        $rows[0].'CT Scans 1' | Should -Be '7'
        $rows[0].'PACs-not-ingested Date 1' | Should -Be '2020-04-05'
        $rows[1].'Reference Date' | Should -Be 'not applicable'
        $rows[1].'MR UID 1' | Should -Be 'GE, Signa'
        $rows[1].'CT Date 1' | Should -Be 'null'
    }

    It 'gives every cohort patient a row with -CohortPath, even with no imaging yet' {
        New-SessionFolder qc @{ CT = @('9434765919,2020-04-01,A1,1.2.3,7') }
        Set-Content -LiteralPath TestDrive:/qc/cohort.csv -Value @('HospitalId,NhsNumber,Status,LastQueried,ReferenceDate', 'H1,9434765919,Existing,2024-07-01,', 'H2,,New,,', 'H3,4010232137,New,,') -Encoding utf8NoBOM
        $result = Merge-XnatSummary -SessionPath TestDrive:/qc -ReferenceDatePath TestDrive:/qc/reference_dates.csv -CohortPath TestDrive:/qc/cohort.csv -OutputPath TestDrive:/qc/out.csv
        $result.SubjectCount | Should -Be 3
        $rows = Import-Csv -LiteralPath TestDrive:/qc/out.csv
        $rows.Subject | Should -Be @('4010232137', '9434765919', 'NN_H2')
        $rows[2].'CT Date 1' | Should -Be 'null'
        $rows[2].'Reference Date' | Should -Be 'not applicable'
    }

    It 'resolves relative paths against the current PowerShell location' {
        New-SessionFolder rel @{ CT = @('9434765919,2020-04-01,A1,1.2.3,7') }
        Push-Location TestDrive:/rel
        try {
            $result = Merge-XnatSummary . ./reference_dates.csv -OutputPath ./summary.csv
        }
        finally { Pop-Location }
        $result.OutputPath | Should -Be (Join-Path (Get-PSDrive TestDrive).Root 'rel/summary.csv')
        'TestDrive:/rel/summary.csv' | Should -Exist
    }

    It 'writes nothing with -WhatIf' {
        New-SessionFolder whatif @{ CT = @('9434765919,2020-04-01,A1,1.2.3,7') }

        $result = Merge-XnatSummary -SessionPath TestDrive:/whatif -ReferenceDatePath TestDrive:/whatif/reference_dates.csv -OutputPath TestDrive:/whatif/out/summary.csv -WhatIf

        $result | Should -BeNullOrEmpty
        'TestDrive:/whatif/out' | Should -Not -Exist
    }

    It 'stops with SessionFileMissing naming the missing export, even with -WhatIf' {
        New-SessionFolder missing
        Remove-Item -LiteralPath TestDrive:/missing/SR.csv

        foreach ($whatIf in $false, $true) {
            $err = $null
            try { Merge-XnatSummary TestDrive:/missing TestDrive:/missing/reference_dates.csv -OutputPath TestDrive:/missing/summary.csv -WhatIf:$whatIf -ErrorAction Stop }
            catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            $err.FullyQualifiedErrorId | Should -Be 'SessionFileMissing,HandiImaging.Commands.MergeXnatSummaryCommand'
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err.Exception.Message | Should -Match 'SR\.csv is missing'
        }
        'TestDrive:/missing/summary.csv' | Should -Not -Exist
    }

    It 'reports a missing reference-date file as PathNotFound and a file given as the session folder as SessionPathNotFolder' {
        New-SessionFolder paths
        { Merge-XnatSummary TestDrive:/paths TestDrive:/paths/nope.csv -OutputPath TestDrive:/paths/s.csv -ErrorAction Stop } |
            Should -Throw -ErrorId 'PathNotFound,HandiImaging.Commands.MergeXnatSummaryCommand'
        { Merge-XnatSummary TestDrive:/paths/CT.csv TestDrive:/paths/reference_dates.csv -OutputPath TestDrive:/paths/s.csv -ErrorAction Stop } |
            Should -Throw -ErrorId 'SessionPathNotFolder,HandiImaging.Commands.MergeXnatSummaryCommand'
    }

    It 'rejects a semicolon-separated file as InvalidSummaryInput' {
        New-SessionFolder semi
        Set-Content -LiteralPath TestDrive:/semi/reference_dates.csv -Value @('Subject;Reference Date', '9434765919;03/04/2020')
        { Merge-XnatSummary TestDrive:/semi TestDrive:/semi/reference_dates.csv -OutputPath TestDrive:/semi/s.csv -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidSummaryInput,HandiImaging.Commands.MergeXnatSummaryCommand'
    }

    It 'warns about blank subjects with file and line and carries on' {
        New-SessionFolder blank @{ CT = @('9434765919,2020-04-01,A1,1.2.3,7', ',2020-04-02,A2,1.2.4,1'); DX = @('9434765919,04/31/2020,D1,1.2.5,1') }

        $result = Merge-XnatSummary TestDrive:/blank TestDrive:/blank/reference_dates.csv -OutputPath TestDrive:/blank/s.csv -WarningVariable warnings -WarningAction SilentlyContinue

        @($warnings).Count | Should -Be 2
        $warnings[0].Message | Should -Be 'CT.csv, line 3: blank subject; row skipped'
        $warnings[1].Message | Should -Match '^DX\.csv, line 2: date is not yyyy-MM-dd'
        $warnings.Message -join ' ' | Should -Not -Match 'A2|D1|04/31/2020'
        $result.WarningCount | Should -Be 2
        $result.BlankSubjectsSkipped | Should -Be 1
        (Import-Csv -LiteralPath TestDrive:/blank/s.csv).Subject | Should -Be '9434765919'
    }

    It 'takes reference-date formats from -DateFormat' {
        New-SessionFolder formats
        Set-Content -LiteralPath TestDrive:/formats/reference_dates.csv -Value @('Subject,Reference Date', '9434765919,03.04.2020')

        Merge-XnatSummary TestDrive:/formats TestDrive:/formats/reference_dates.csv -OutputPath TestDrive:/formats/s.csv -DateFormat 'dd.MM.yyyy' | Out-Null

        (Import-Csv -LiteralPath TestDrive:/formats/s.csv).'Reference Date' | Should -Be '2020-04-03'
    }

    It 'formats the result and its sections as tables' {
        New-SessionFolder view @{ CT = @('9434765919,2020-04-01,A1,1.2.3,7') }
        $result = Merge-XnatSummary TestDrive:/view TestDrive:/view/reference_dates.csv -OutputPath TestDrive:/view/s.csv

        ($result | Out-String -Width 200) | Should -Match 'Subjects\s+Sessions\s+Failures\s+Columns\s+Warnings\s+OutputPath'
        ($result.Sections | Out-String) | Should -Match 'Name\s+ColumnPrefix\s+Sessions\s+Slots'
        ($result.Sections | Out-String) | Should -Match 'Failures\s+PACs-not-ingested\s+0\s+5'
    }
}
