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

# The README's demo command: the whole procedure, two quarters in DQR mode against dcmqrscp and the XNAT double.
Describe 'examples/Invoke-HandiDemo.ps1' {
    BeforeAll {
        $script:demoPath = Join-Path $TestDrive 'demo'
        $script:demoOutput = & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot '../../examples/Invoke-HandiDemo.ps1') -Path $demoPath -Subjects 120 2>&1
        $script:demoExit = $LASTEXITCODE
        $script:runs = @(Get-ChildItem (Join-Path $demoPath 'site/runs') -Directory -Filter 'run-*' | Sort-Object Name |
            ForEach-Object { Get-Content -Raw (Join-Path $_.FullName 'result.json') | ConvertFrom-Json })
    }
    It 'runs two DQR quarters to the end and prints the report''s path' {
        $demoExit | Should -Be 0 -Because ($demoOutput -join "`n")
        $runs.Count | Should -Be 2
        $runs.Mode | Should -Be @('Dqr', 'Dqr')
        $report = ($demoOutput | Where-Object { "$_" -like 'Report:*' } | Select-Object -Last 1) -replace '^Report:\s*', ''
        $report | Should -Be $runs[1].ReportPath
        $report | Should -Exist
        Get-Content -Raw $report | Should -Match '<svg'
    }
    It 'records quarter 1''s failed imports in the ledger, and quarter 2 resolves the ones re-imported in XNAT' {
        $runs[0].Failed | Should -BeGreaterThan 0
        $runs[0].Imported | Should -BeGreaterThan 0
        ($runs[0].Imported + $runs[0].Failed) | Should -Be $runs[0].Planned
        $ledger = @(Get-IngestFailure -LedgerPath (Join-Path $demoPath 'site/data/failure-ledger.csv'))
        $ledger.Count | Should -Be $runs[0].Failed
        $runs[1].LedgerResolved | Should -BeGreaterThan 0
        @($ledger | Where-Object Status -eq Resolved).Count | Should -Be $runs[1].LedgerResolved
        $runs[1].LedgerOpen | Should -Be ($ledger.Count - $runs[1].LedgerResolved)
    }
    It 'publishes each quarter''s master summary to the drop folder intact and leaves no server running' {
        foreach ($run in $runs) {
            $run.PublishedPath | Should -Exist
            (Get-FileHash $run.PublishedPath).Hash | Should -Be (Get-FileHash $run.SummaryPath).Hash
        }
        # dcmqrscp and the XNAT double were stopped: their ports no longer answer.
        foreach ($port in ($demoOutput | Select-String 'QRSCP@127\.0\.0\.1:(\d+)|XNAT at http://127\.0\.0\.1:(\d+)').Matches | ForEach-Object { $_.Groups[1].Value + $_.Groups[2].Value }) {
            $client = [Net.Sockets.TcpClient]::new()
            try { { $client.Connect('127.0.0.1', [int]$port) } | Should -Throw -Because "port $port should be closed" }
            finally { $client.Dispose() }
        }
    }
}
