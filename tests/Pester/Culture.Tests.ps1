# The same inputs give the same outputs on en-GB, en-US and de-DE machines: dates are never read month-first.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force
    $script:demo = New-HandiDemoData -Path TestDrive:/quarter -Subjects 40 -Seed 11
    $script:original = [System.Globalization.CultureInfo]::CurrentCulture

    # Runs the spreadsheet half and the cohort step under one culture; returns what a user would compare.
    function Invoke-UnderCulture([string] $Name) {
        [System.Globalization.CultureInfo]::CurrentCulture = [System.Globalization.CultureInfo]::GetCultureInfo($Name)
        try {
            $q = $demo.Path
            $out = "TestDrive:/$Name"
            $failures = ConvertFrom-IngestFailure -Path (Join-Path $q PACs-failures.txt) -IdMapPath (Join-Path $q HospitalID-NHSNumber.csv) -WarningAction SilentlyContinue
            $failures | Add-IngestFailure -LedgerPath "$out/ledger.csv" -AsOf $demo.AsOf | Out-Null
            Merge-XnatSummary -SessionPath $q -ReferenceDatePath (Join-Path $q reference_dates.csv) -FailurePath "$out/ledger.csv" -OutputPath "$out/summary.csv" -WarningAction SilentlyContinue | Out-Null
            $windows = Import-Cohort -Path (Join-Path $q cohort.csv) -DeceasedPath (Join-Path $q deceased.csv) -AsOf $demo.AsOf |
                ForEach-Object { '{0}|{1}' -f $_.PatientId, $(if ($_.Since) { $_.Since.ToString('yyyy-MM-dd', [cultureinfo]::InvariantCulture) } else { 'all time' }) }
            [pscustomobject]@{
                Summary = (Get-FileHash "$out/summary.csv").Hash
                Ledger  = (Get-FileHash "$out/ledger.csv").Hash
                Windows = $windows -join ';'
            }
        }
        finally {
            [System.Globalization.CultureInfo]::CurrentCulture = $original
        }
    }
}

Describe 'Culture independence' {
    It 'writes byte-identical summaries and ledgers and the same query windows under en-GB, en-US and de-DE' {
        $gb = Invoke-UnderCulture 'en-GB'
        $us = Invoke-UnderCulture 'en-US'
        $de = Invoke-UnderCulture 'de-DE'
        $us.Summary | Should -Be $gb.Summary
        $de.Summary | Should -Be $gb.Summary
        $us.Ledger | Should -Be $gb.Ledger
        $de.Ledger | Should -Be $gb.Ledger
        $us.Windows | Should -Be $gb.Windows
        $de.Windows | Should -Be $gb.Windows
    }
    It 'reads 03/04/2020 in a reference-date file as 3 April on an en-US machine' {
        [System.Globalization.CultureInfo]::CurrentCulture = [System.Globalization.CultureInfo]::GetCultureInfo('en-US')
        try {
            New-Item -ItemType Directory TestDrive:/us -Force | Out-Null
            foreach ($t in 'MR', 'CT', 'PET', 'CR', 'DX', 'RF', 'SR', 'XA') { Set-Content -LiteralPath "TestDrive:/us/$t.csv" -Value 'Subject,Date,ID,UID,Scans' }
            Set-Content -LiteralPath TestDrive:/us/reference_dates.csv -Value "Subject,Reference Date`n9434765919,03/04/2020"
            Merge-XnatSummary -SessionPath TestDrive:/us -ReferenceDatePath TestDrive:/us/reference_dates.csv -OutputPath TestDrive:/us/out.csv | Out-Null
            (Import-Csv -LiteralPath TestDrive:/us/out.csv).'Reference Date' | Should -Be '2020-04-03'
        }
        finally {
            [System.Globalization.CultureInfo]::CurrentCulture = $original
        }
    }
}
