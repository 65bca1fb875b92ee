# The built-in demo quarter: deterministic, and every step of the procedure reads it.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force
}

Describe 'New-HandiDemoData' {
    It 'writes every input of the procedure, the same bytes for the same seed' {
        $a = New-HandiDemoData -Path TestDrive:/a -Subjects 40 -Seed 5
        $b = New-HandiDemoData -Path TestDrive:/b -Subjects 40 -Seed 5
        $a | Should -BeOfType ([HandiImaging.Core.Demo.DemoDataSet])
        $a.Files | Should -Contain 'cohort.csv'
        $a.Files | Should -Contain 'PACs-failures.txt'
        $a.Files | Should -Contain 'study-descriptions.xlsx'
        $a.Files | Should -Contain 'deceased.csv'
        foreach ($type in 'MR', 'CT', 'PET', 'CR', 'DX', 'RF', 'SR', 'XA') { $a.Files | Should -Contain "$type.csv" }
        foreach ($file in $a.Files | Where-Object { $_ -notlike '*.xlsx' }) {
            (Get-FileHash (Join-Path $a.Path $file)).Hash | Should -Be (Get-FileHash (Join-Path $b.Path $file)).Hash -Because $file
        }
        # A workbook's zip entries carry the time they were written: compare what it holds instead.
        $rulesA = Import-StudyRule -Path (Join-Path $a.Path study-descriptions.xlsx) -WarningAction SilentlyContinue
        $rulesB = Import-StudyRule -Path (Join-Path $b.Path study-descriptions.xlsx) -WarningAction SilentlyContinue
        ($rulesA | Select-Object IncludeCount, ExcludeCount, DuplicateCount | ConvertTo-Json) | Should -Be ($rulesB | Select-Object IncludeCount, ExcludeCount, DuplicateCount | ConvertTo-Json)
        (New-HandiDemoData -Path TestDrive:/c -Subjects 40 -Seed 6 | ForEach-Object { Get-FileHash (Join-Path $_.Path 'CT.csv') }).Hash |
            Should -Not -Be (Get-FileHash (Join-Path $a.Path 'CT.csv')).Hash
    }
    It 'writes nothing with -WhatIf' {
        New-HandiDemoData -Path TestDrive:/none -WhatIf | Should -BeNullOrEmpty
        'TestDrive:/none' | Should -Not -Exist
    }
    It 'is read by every step without an unreadable-input error' {
        $demo = New-HandiDemoData -Path TestDrive:/q -Subjects 60 -Seed 2
        $q = $demo.Path
        $patients = Import-Cohort -Path (Join-Path $q cohort.csv) -DeceasedPath (Join-Path $q deceased.csv) -AsOf $demo.AsOf -ErrorVariable e1
        $e1 | Should -BeNullOrEmpty
        @($patients).Count | Should -Be (60 - $demo.DeceasedPatients)
        $failures = ConvertFrom-IngestFailure -Path (Join-Path $q PACs-failures.txt) -IdMapPath (Join-Path $q HospitalID-NHSNumber.csv) -ErrorVariable e2 -WarningAction SilentlyContinue
        $e2 | Should -BeNullOrEmpty
        # Every failure except the 2099-01-01 placeholders comes through.
        @($failures).Count | Should -BeGreaterThan 0
        @($failures).Count | Should -BeLessOrEqual $demo.FailureRecords
        $rules = Import-StudyRule -Path (Join-Path $q study-descriptions.xlsx) -WarningAction SilentlyContinue -ErrorVariable e3
        $e3 | Should -BeNullOrEmpty
        $rules.IncludeCount | Should -Be 300
        $result = Merge-XnatSummary -SessionPath $q -ReferenceDatePath (Join-Path $q reference_dates.csv) -OutputPath TestDrive:/out/summary.csv -WarningAction SilentlyContinue
        $result.SubjectCount | Should -BeGreaterOrEqual 60
    }
}
