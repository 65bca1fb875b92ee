# Outputs never destroy inputs; paths say plainly what is wrong; -WhatIf leaves no trace. Table-driven: every case
# runs on a fresh copy of a demo quarter and must give its ErrorId and a message naming the file, and leave every
# file in the folder (hidden ones included) byte for byte as it was, with nothing added.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force

    $script:template = (New-HandiDemoData -Path TestDrive:/template -Subjects 20 -Seed 3).Path
    $ledgerHeader = 'Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn'
    # One open failure that the quarter's CT export resolves, so Update-IngestFailure has something to (not) write.
    $ct = (Get-Content -LiteralPath (Join-Path $template 'CT.csv'))[1] -split ','
    Set-Content -LiteralPath (Join-Path $template 'ledger.csv') -Value @($ledgerHeader, "$($ct[0]),2024-01-02,ACC1,CT Neck,$($ct[3]),H1,2025-01-06,2025-01-06,1,failures.txt:1,Open,") -Encoding utf8NoBOM
    Set-Content -LiteralPath (Join-Path $template 'rules.csv') -Value @('Description,Decision,DecidedBy,DecidedOn,Note', 'CT Neck,Include,Dr A,2024-01-05,') -Encoding utf8NoBOM
    Set-Content -LiteralPath (Join-Path $template 'review.csv') -Value @('Description,Count,Modalities,FirstDate,LastDate,ExampleAccession,Decision,Note', 'Brand New Description,2,CT,2024-01-01,2024-02-01,A1,Include,') -Encoding utf8NoBOM
    New-Item -ItemType Directory -Path (Join-Path $template 'outputs') | Out-Null
    $script:caseNumber = 0

    # A fresh copy of the quarter for one case.
    function New-Quarter {
        $script:caseNumber++
        $folder = Join-Path (Get-PSDrive TestDrive).Root "case$script:caseNumber"
        Copy-Item -LiteralPath $template -Destination $folder -Recurse
        $folder
    }

    # Runs a case with errors made terminating; returns the error, or $null when there was none.
    function Invoke-Case([scriptblock] $Run, [string] $Quarter) {
        $ErrorActionPreference = 'Stop'
        try { & $Run $Quarter | Out-Null; $null } catch { $_ }
    }

    # Every file and folder under the quarter, hidden ones included, with its content hash.
    function Get-Snapshot([string] $Folder) {
        Get-ChildItem -LiteralPath $Folder -Recurse -Force | Sort-Object FullName | ForEach-Object {
            $hash = if ($_.PSIsContainer) { '<dir>' } else { (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash }
            '{0} {1}' -f $_.FullName.Substring($Folder.Length), $hash
        }
    }
}

Describe 'A writing cmdlet never destroys an input or a kept file' {
    It '<Name>' -ForEach @(
        foreach ($type in 'CT', 'MR', 'PET', 'CR', 'DX', 'RF', 'SR', 'XA') {
            @{ Name = "Merge-XnatSummary -OutputPath is the session export $type.csv"; Id = 'OutputIsInput'; File = "$type.csv"; Says = "is the same file as -SessionPath's $type.csv"
               Run = [scriptblock]::Create("param(`$q) Merge-XnatSummary -SessionPath `$q -ReferenceDatePath (Join-Path `$q reference_dates.csv) -OutputPath (Join-Path `$q $type.csv)") }
        }
        @{ Name = 'Merge-XnatSummary -OutputPath is the reference dates'; Id = 'OutputIsInput'; File = 'reference_dates.csv'; Says = 'is the same file as -ReferenceDatePath'
           Run = { param($q) Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -OutputPath (Join-Path $q reference_dates.csv) } }
        @{ Name = 'Merge-XnatSummary -OutputPath is the ledger given as -FailurePath'; Id = 'OutputIsInput'; File = 'ledger.csv'; Says = 'is the same file as -FailurePath'
           Run = { param($q) Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -FailurePath (Join-Path $q ledger.csv) -OutputPath (Join-Path $q ledger.csv) } }
        @{ Name = 'Merge-XnatSummary -OutputPath is the -CohortPath'; Id = 'OutputIsInput'; File = 'cohort.csv'; Says = 'is the same file as -CohortPath'
           Run = { param($q) Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -CohortPath (Join-Path $q cohort.csv) -OutputPath (Join-Path $q cohort.csv) } }
        @{ Name = 'Merge-XnatSummary -OutputPath is a cohort it was not given'; Id = 'OutputIsInput'; File = 'cohort.csv'; Says = 'is a cohort file'
           Run = { param($q) Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -OutputPath (Join-Path $q cohort.csv) } }
        @{ Name = 'Merge-XnatSummary -OutputPath is the ledger it was not given'; Id = 'OutputIsInput'; File = 'ledger.csv'; Says = 'is the failure ledger'
           Run = { param($q) Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -OutputPath (Join-Path $q ledger.csv) } }
        @{ Name = 'Merge-XnatSummary -OutputPath is the rules workbook'; Id = 'OutputIsInput'; File = 'study-descriptions.xlsx'; Says = "is the clinicians' rules workbook"
           Run = { param($q) Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -OutputPath (Join-Path $q study-descriptions.xlsx) } }
        @{ Name = 'Merge-XnatSummary -OutputPath is a rules CSV'; Id = 'OutputIsInput'; File = 'rules.csv'; Says = 'is a rules file'
           Run = { param($q) Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -OutputPath (Join-Path $q rules.csv) } }
        @{ Name = 'Merge-XnatSummary -OutputPath names CT.csv through ..'; Id = 'OutputIsInput'; File = 'CT.csv'; Says = "is the same file as -SessionPath's CT.csv"
           Run = { param($q) Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -OutputPath (Join-Path $q outputs/../CT.csv) } }
        @{ Name = 'Merge-XnatSummary -OutputPath is a symbolic link to the reference dates'; Id = 'OutputIsInput'; File = 'latest.csv'; Says = 'is the same file as -ReferenceDatePath'
           Arrange = { param($q) New-Item -ItemType SymbolicLink -Path (Join-Path $q outputs/latest.csv) -Target (Join-Path $q reference_dates.csv) | Out-Null }
           Run = { param($q) Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -OutputPath (Join-Path $q outputs/latest.csv) } }
        @{ Name = 'Export-StudyReview -Path is the rules workbook'; Id = 'OutputIsInput'; File = 'study-descriptions.xlsx'; Says = "is the clinicians' rules workbook"
           Run = { param($q) Import-Csv (Join-Path $q pacs-studies.csv) | Export-StudyReview -Path (Join-Path $q study-descriptions.xlsx) } }
        @{ Name = 'Export-StudyReview -Path is a rules CSV'; Id = 'OutputIsInput'; File = 'rules.csv'; Says = 'is a rules file'
           Run = { param($q) Import-Csv (Join-Path $q pacs-studies.csv) | Export-StudyReview -Path (Join-Path $q rules.csv) } }
        @{ Name = 'Export-StudyReview -Path is the cohort'; Id = 'OutputIsInput'; File = 'cohort.csv'; Says = 'is a cohort file'
           Run = { param($q) Import-Csv (Join-Path $q pacs-studies.csv) | Export-StudyReview -Path (Join-Path $q cohort.csv) } }
        @{ Name = 'Export-StudyReview -LiteralPath is the ledger'; Id = 'OutputIsInput'; File = 'ledger.csv'; Says = 'is the failure ledger'
           Run = { param($q) Import-Csv (Join-Path $q pacs-studies.csv) | Export-StudyReview -LiteralPath (Join-Path $q ledger.csv) } }
        @{ Name = 'Update-StudyRule -ReviewPath is the rules file itself'; Id = 'OutputIsInput'; File = 'rules.csv'; Says = 'is the same file as -ReviewPath'
           Run = { param($q) Update-StudyRule -Path (Join-Path $q rules.csv) -ReviewPath (Join-Path $q rules.csv) -DecidedBy 'Dr B' } }
        @{ Name = 'Update-StudyRule -ReviewPath is the rules workbook itself'; Id = 'OutputIsInput'; File = 'study-descriptions.xlsx'; Says = 'is the same file as -ReviewPath'
           Run = { param($q) Update-StudyRule -Path (Join-Path $q study-descriptions.xlsx) -ReviewPath (Join-Path $q study-descriptions.xlsx) -DecidedBy 'Dr B' } }
        @{ Name = 'Update-StudyRule -Path is the cohort'; Id = 'OutputIsInput'; File = 'cohort.csv'; Says = 'is a cohort file'
           Run = { param($q) Update-StudyRule -Path (Join-Path $q cohort.csv) -ReviewPath (Join-Path $q review.csv) -DecidedBy 'Dr B' } }
        @{ Name = 'Update-StudyRule -LiteralPath is the ledger'; Id = 'OutputIsInput'; File = 'ledger.csv'; Says = 'is the failure ledger'
           Run = { param($q) Update-StudyRule -LiteralPath (Join-Path $q ledger.csv) -ReviewPath (Join-Path $q review.csv) -DecidedBy 'Dr B' } }
        @{ Name = 'Update-Cohort -Path is the ledger'; Id = 'OutputIsInput'; File = 'ledger.csv'; Says = 'is the failure ledger'
           Run = { param($q) 'H1' | Update-Cohort -Path (Join-Path $q ledger.csv) } }
        @{ Name = 'Add-IngestFailure -LedgerPath is the cohort'; Id = 'OutputIsInput'; File = 'cohort.csv'; Says = 'is a cohort file'
           Run = { param($q) [pscustomobject]@{ Subject = '9434765919'; StudyDate = '2024-01-02'; AccessionNumber = 'A9'; StudyInstanceUid = '1.9' } | Add-IngestFailure -LedgerPath (Join-Path $q cohort.csv) } }
        @{ Name = 'Add-IngestFailure -LedgerPath is the rules workbook'; Id = 'OutputIsInput'; File = 'study-descriptions.xlsx'; Says = "is the clinicians' rules workbook"
           Run = { param($q) [pscustomobject]@{ Subject = '9434765919'; StudyDate = '2024-01-02'; AccessionNumber = 'A9'; StudyInstanceUid = '1.9' } | Add-IngestFailure -LedgerPath (Join-Path $q study-descriptions.xlsx) } }
        @{ Name = 'Update-IngestFailure -LedgerPath is a session export'; Id = 'OutputIsInput'; File = 'CT.csv'; Says = "is the same file as -SessionPath's CT.csv"
           Run = { param($q) Update-IngestFailure -LedgerPath (Join-Path $q CT.csv) -SessionPath $q } }
        @{ Name = 'Update-IngestFailure -LedgerPath is the cohort'; Id = 'OutputIsInput'; File = 'cohort.csv'; Says = 'is a cohort file'
           Run = { param($q) Update-IngestFailure -LedgerPath (Join-Path $q cohort.csv) -SessionPath $q } }
    ) {
        $q = New-Quarter
        if ($Arrange) { & $Arrange $q }
        $before = Get-Snapshot $q
        $err = Invoke-Case $Run $q
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err.Exception.Message | Should -BeLike "*$File*"
        $err.Exception.Message | Should -BeLike "*$Says*"
        $err.Exception.Message | Should -BeLike '*Nothing was written*'
        Get-Snapshot $q | Should -Be $before
    }
}

Describe 'Paths and files that are not what the parameter expects say so plainly' {
    It '<Name>' -ForEach @(
        @{ Name = 'Import-Cohort -Path is a folder'; Id = 'PathIsFolder'; Says = 'is a folder, not a file'; Run = { param($q) Import-Cohort -Path $q } }
        @{ Name = 'Import-Cohort -LiteralPath is a folder'; Id = 'PathIsFolder'; Says = 'is a folder, not a file'; Run = { param($q) Import-Cohort -LiteralPath $q } }
        @{ Name = 'Import-Cohort -DeceasedPath is a folder'; Id = 'PathIsFolder'; Says = 'is a folder, not a file'; Run = { param($q) Import-Cohort (Join-Path $q cohort.csv) -DeceasedPath $q } }
        @{ Name = 'Import-StudyRule -Path is a folder'; Id = 'PathIsFolder'; Says = 'is a folder, not a file'; Run = { param($q) Import-StudyRule -Path $q } }
        @{ Name = 'Get-IngestFailure -LedgerPath is a folder'; Id = 'PathIsFolder'; Says = 'is a folder, not a file'; Run = { param($q) Get-IngestFailure -LedgerPath $q } }
        @{ Name = 'ConvertFrom-IngestFailure -IdMapPath is a folder'; Id = 'PathIsFolder'; Says = 'is a folder, not a file'; Run = { param($q) ConvertFrom-IngestFailure -Path (Join-Path $q PACs-failures.txt) -IdMapPath $q } }
        @{ Name = 'Merge-XnatSummary -ReferenceDatePath is a folder'; Id = 'PathIsFolder'; Says = 'is a folder, not a file'; Run = { param($q) Merge-XnatSummary $q $q -OutputPath (Join-Path $q outputs/s.csv) } }
        @{ Name = 'Merge-XnatSummary -OutputPath is a folder'; Id = 'PathIsFolder'; Says = 'is a folder'; Run = { param($q) Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -OutputPath (Join-Path $q outputs) } }
        @{ Name = 'Merge-XnatSummary -SessionPath is a file'; Id = 'SessionPathNotFolder'; Says = 'is a file, not a folder'; Run = { param($q) Merge-XnatSummary (Join-Path $q CT.csv) (Join-Path $q reference_dates.csv) -OutputPath (Join-Path $q outputs/s.csv) } }
        @{ Name = 'Update-IngestFailure -SessionPath is a file'; Id = 'SessionFolderNotFound'; Says = 'is a file, not a folder'; Run = { param($q) Update-IngestFailure (Join-Path $q ledger.csv) (Join-Path $q CT.csv) } }
        @{ Name = 'Update-Cohort -Path is a folder'; Id = 'PathIsFolder'; Says = 'is a folder, not a file'; Run = { param($q) 'H1' | Update-Cohort -Path $q } }
        @{ Name = 'Update-StudyRule -ReviewPath is a folder'; Id = 'PathIsFolder'; Says = 'is a folder, not a file'; Run = { param($q) Update-StudyRule (Join-Path $q rules.csv) -ReviewPath $q -DecidedBy 'Dr B' } }
        @{ Name = 'Update-StudyRule -Path is a folder'; Id = 'PathIsFolder'; Says = 'is a folder'; Run = { param($q) Update-StudyRule (Join-Path $q outputs) -ReviewPath (Join-Path $q review.csv) -DecidedBy 'Dr B' } }
        @{ Name = 'Export-StudyReview -Path is a folder'; Id = 'PathIsFolder'; Says = 'is a folder'; Run = { param($q) Import-Csv (Join-Path $q pacs-studies.csv) | Export-StudyReview -Path (Join-Path $q outputs) } }
        @{ Name = 'Add-IngestFailure -LedgerPath is a folder'; Id = 'LedgerPathIsFolder'; Says = 'is a folder'; Run = { param($q) [pscustomobject]@{ Subject = '9434765919'; StudyDate = '2024-01-02'; AccessionNumber = 'A9'; StudyInstanceUid = '1.9' } | Add-IngestFailure -LedgerPath $q } }
        @{ Name = 'New-HandiDemoData -Path is a folder with files in it'; Id = 'DemoFolderNotEmpty'; Says = 'already holds files'; Run = { param($q) New-HandiDemoData -Path $q -Subjects 10 } }
        @{ Name = 'New-HandiDemoData -Path is a file'; Id = 'PathIsFile'; Says = 'is a file'; Run = { param($q) New-HandiDemoData -Path (Join-Path $q cohort.csv) -Subjects 10 } }
        @{ Name = 'Update-Cohort on a read-only cohort'; Id = 'CohortWriteFailed'; Says = 'is read-only; nothing was written'
           Arrange = { param($q) chmod 444 (Join-Path $q cohort.csv) }; Run = { param($q) (Import-Csv (Join-Path $q cohort.csv))[0].HospitalId | Update-Cohort -Path (Join-Path $q cohort.csv) } }
        @{ Name = 'Update-StudyRule on a read-only rules workbook'; Id = 'RulesWriteFailed'; Says = 'is read-only; nothing was written'
           Arrange = { param($q) chmod 400 (Join-Path $q study-descriptions.xlsx) }; Run = { param($q) Update-StudyRule (Join-Path $q study-descriptions.xlsx) -ReviewPath (Join-Path $q review.csv) -DecidedBy 'Dr B' } }
        @{ Name = 'Import-StudyRule on an .xls renamed .xlsx'; Id = 'RulesFileUnreadable'; Says = 'Excel 97-2003'
           Arrange = { param($q) [IO.File]::WriteAllBytes((Join-Path $q old.xlsx), [byte[]](0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1) + [byte[]]::new(504)) }; Run = { param($q) Import-StudyRule (Join-Path $q old.xlsx) } }
        @{ Name = 'Import-StudyRule on a CSV renamed .xlsx'; Id = 'RulesFileUnreadable'; Says = 'text file (CSV?)'
           Arrange = { param($q) Copy-Item (Join-Path $q rules.csv) (Join-Path $q renamed.xlsx) }; Run = { param($q) Import-StudyRule (Join-Path $q renamed.xlsx) } }
        @{ Name = 'Import-StudyRule on a truncated workbook'; Id = 'RulesFileUnreadable'; Says = 'not a readable .xlsx workbook'
           Arrange = { param($q) $b = [IO.File]::ReadAllBytes((Join-Path $q study-descriptions.xlsx)); [IO.File]::WriteAllBytes((Join-Path $q cut.xlsx), $b[0..($b.Length / 2)]) }; Run = { param($q) Import-StudyRule (Join-Path $q cut.xlsx) } }
        @{ Name = 'Update-StudyRule with a truncated rules workbook'; Id = 'RulesFileUnreadable'; Says = 'not a readable .xlsx workbook'
           Arrange = { param($q) $b = [IO.File]::ReadAllBytes((Join-Path $q study-descriptions.xlsx)); [IO.File]::WriteAllBytes((Join-Path $q cut.xlsx), $b[0..($b.Length / 2)]) }
           Run = { param($q) Update-StudyRule (Join-Path $q cut.xlsx) -ReviewPath (Join-Path $q review.csv) -DecidedBy 'Dr B' } }
        @{ Name = 'Update-StudyRule with a review that is a CSV renamed .xlsx'; Id = 'ReviewFileUnreadable'; Says = 'text file (CSV?)'
           Arrange = { param($q) Copy-Item (Join-Path $q review.csv) (Join-Path $q review.xlsx) }; Run = { param($q) Update-StudyRule (Join-Path $q rules.csv) -ReviewPath (Join-Path $q review.xlsx) -DecidedBy 'Dr B' } }
        @{ Name = 'Update-StudyRule with a review decision that has no description'; Id = 'InvalidReviewDecision'; Says = 'line 2'
           Arrange = { param($q) Set-Content -LiteralPath (Join-Path $q review.csv) -Value @('Description,Count,Decision,Note', ',3,Include,') }; Run = { param($q) Update-StudyRule (Join-Path $q rules.csv) -ReviewPath (Join-Path $q review.csv) -DecidedBy 'Dr B' } }
    ) {
        $q = New-Quarter
        if ($Arrange) { & $Arrange $q }
        $before = Get-Snapshot $q
        $err = Invoke-Case $Run $q
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err.Exception.Message | Should -BeLike "*$Says*"
        $err.Exception.Message | Should -BeLike "*$(Split-Path -Leaf $q)*"
        Get-Snapshot $q | Should -Be $before
    }
}

Describe '-WhatIf creates nothing: no output, no lock file, no folder' {
    It '<Name> -WhatIf' -ForEach @(
        @{ Name = 'Update-Cohort'; Run = { param($q) Import-Cohort (Join-Path $q cohort.csv) -AsOf 2025-01-06 -ErrorAction SilentlyContinue | Update-Cohort -Path (Join-Path $q cohort.csv) -AsOf 2025-01-06 -WhatIf } }
        @{ Name = 'Update-StudyRule (workbook)'; Run = { param($q) Update-StudyRule (Join-Path $q study-descriptions.xlsx) -ReviewPath (Join-Path $q review.csv) -DecidedBy 'Dr B' -WhatIf } }
        @{ Name = 'Update-StudyRule (new rules CSV in a new folder)'; Run = { param($q) Update-StudyRule (Join-Path $q new/rules.csv) -ReviewPath (Join-Path $q review.csv) -DecidedBy 'Dr B' -WhatIf } }
        @{ Name = 'Add-IngestFailure'; Run = { param($q) [pscustomobject]@{ Subject = '9434765919'; StudyDate = '2024-01-09'; AccessionNumber = 'A9'; StudyInstanceUid = '1.9' } | Add-IngestFailure -LedgerPath (Join-Path $q ledger.csv) -WhatIf } }
        @{ Name = 'Add-IngestFailure (new ledger in a new folder)'; Run = { param($q) [pscustomobject]@{ Subject = '9434765919'; StudyDate = '2024-01-09'; AccessionNumber = 'A9'; StudyInstanceUid = '1.9' } | Add-IngestFailure -LedgerPath (Join-Path $q new/ledger.csv) -WhatIf } }
        @{ Name = 'Update-IngestFailure'; Run = { param($q) Update-IngestFailure (Join-Path $q ledger.csv) $q -WhatIf } }
        @{ Name = 'Merge-XnatSummary'; Run = { param($q) Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -OutputPath (Join-Path $q new/summary.csv) -WhatIf } }
        @{ Name = 'Export-StudyReview'; Run = { param($q) Import-Csv (Join-Path $q pacs-studies.csv) | Export-StudyReview -Path (Join-Path $q new/review.xlsx) -WhatIf } }
        @{ Name = 'New-HandiDemoData'; Run = { param($q) New-HandiDemoData -Path (Join-Path $q new) -Subjects 10 -WhatIf } }
    ) {
        $q = New-Quarter
        $before = Get-Snapshot $q
        $null = & $Run $q 6>&1 3>&1
        Get-Snapshot $q | Should -Be $before
    }
}

Describe 'Brackets in file names are literal' {
    BeforeAll {
        $script:q = New-Quarter
        $cohort = Get-Content -LiteralPath (Join-Path $q cohort.csv)
        # cohort1.csv is what 'cohort[1].csv' would match as a wildcard: it must never be read or written instead.
        Set-Content -LiteralPath (Join-Path $q 'cohort[1].csv') -Value $cohort
        Set-Content -LiteralPath (Join-Path $q cohort1.csv) -Value $cohort[0..2]
        $script:decoyHash = (Get-FileHash -LiteralPath (Join-Path $q cohort1.csv)).Hash
    }

    It 'Import-Cohort -Path reads cohort[1].csv itself, not cohort1.csv' {
        $all = @(Import-Cohort -LiteralPath (Join-Path $q cohort.csv) -AsOf 2025-01-06 -ErrorAction SilentlyContinue)
        $read = @(Import-Cohort -Path (Join-Path $q 'cohort[1].csv') -AsOf 2025-01-06 -ErrorAction SilentlyContinue)
        $read.Count | Should -Be $all.Count
        $read[0].Line | Should -Be 2
    }

    It 'Update-Cohort -Path writes cohort[1].csv and leaves cohort1.csv alone' {
        $first = (Import-Cohort -Path (Join-Path $q 'cohort[1].csv') -AsOf 2025-01-06 -ErrorAction SilentlyContinue)[0]
        $first | Update-Cohort -Path (Join-Path $q 'cohort[1].csv') -AsOf 2025-01-07
        (Import-Csv -LiteralPath (Join-Path $q 'cohort[1].csv') | Where-Object HospitalId -eq $first.PatientId).LastQueried | Should -Be '2025-01-07'
        (Get-FileHash -LiteralPath (Join-Path $q cohort1.csv)).Hash | Should -Be $decoyHash
        Test-Path -LiteralPath (Join-Path $q 'cohort[1].csv.bak') | Should -BeTrue
    }

    It 'Merge-XnatSummary writes summary[2024].csv under that name' {
        Merge-XnatSummary $q (Join-Path $q reference_dates.csv) -OutputPath (Join-Path $q 'outputs/summary[2024].csv') | Out-Null
        Test-Path -LiteralPath (Join-Path $q 'outputs/summary[2024].csv') | Should -BeTrue
        @(Get-ChildItem -LiteralPath (Join-Path $q outputs) -Force).Name | Should -Be @('summary[2024].csv')
    }

    It 'Update-StudyRule reads review[1].csv and writes rules[v2].csv' {
        Copy-Item -LiteralPath (Join-Path $q rules.csv) -Destination (Join-Path $q 'rules[v2].csv')
        Copy-Item -LiteralPath (Join-Path $q review.csv) -Destination (Join-Path $q 'review[1].csv')
        $added = Update-StudyRule -Path (Join-Path $q 'rules[v2].csv') -ReviewPath (Join-Path $q 'review[1].csv') -DecidedBy 'Dr B'
        $added.Description | Should -Be 'Brand New Description'
        (Import-StudyRule -LiteralPath (Join-Path $q 'rules[v2].csv')).IncludeCount | Should -Be 2
    }
}

Describe 'Replacing a file keeps what it was' {
    It 'Update-Cohort keeps a 600 cohort at 600, and its backup too' -Skip:$IsWindows {
        $q = New-Quarter
        $path = Join-Path $q cohort.csv
        chmod 600 $path
        Import-Cohort $path -AsOf 2025-01-06 -ErrorAction SilentlyContinue | Select-Object -First 2 | Update-Cohort -Path $path -AsOf 2025-01-07
        stat -c '%a' $path | Should -Be '600'
        stat -c '%a' "$path.bak" | Should -Be '600'
    }

    It 'Add-IngestFailure through a symbolic link updates the ledger it points to and keeps the link' -Skip:$IsWindows {
        $q = New-Quarter
        New-Item -ItemType SymbolicLink -Path (Join-Path $q outputs/ledger-link.csv) -Target (Join-Path $q ledger.csv) | Out-Null
        [pscustomobject]@{ Subject = '9434765919'; StudyDate = '2024-01-09'; AccessionNumber = 'A9'; StudyInstanceUid = '1.9' } | Add-IngestFailure -LedgerPath (Join-Path $q outputs/ledger-link.csv) | Out-Null
        (Get-Item -LiteralPath (Join-Path $q outputs/ledger-link.csv)).LinkType | Should -Be 'SymbolicLink'
        @(Get-IngestFailure -LedgerPath (Join-Path $q ledger.csv)).Count | Should -Be 2
    }
}
