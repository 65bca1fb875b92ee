BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force
}

Describe 'Test-NhsNumber' {
    It 'accepts a number whose check digit is right and says why others fail' {
        $results = Test-NhsNumber -NhsNumber '9434765919', '9434765918', '943476591', '94347659A9'
        $results.IsValid | Should -Be @($true, $false, $false, $false)
        $results[1].Reason | Should -Be 'check digit is 8, expected 9'
        $results[2].Reason | Should -Match 'expected 10 digits'
        $results[3].Reason | Should -Match "character 9 \('A'\)"
    }
    It 'binds Import-Csv rows by property name and keeps leading zeros' {
        Set-Content -LiteralPath TestDrive:/map.csv -Value "HospitalID,NHSNumber`nH1,0000000000`nH2,`nH3,4010232137"
        $results = Import-Csv -LiteralPath TestDrive:/map.csv | Test-NhsNumber
        $results.NhsNumber | Should -Be @('0000000000', '', '4010232137')
        $results.IsValid | Should -Be @($false, $false, $true)
        $results[0].Reason | Should -Match 'all ten digits are the same'
        $results.HospitalId | Should -Be @('H1', 'H2', 'H3')
    }
    It 'binds every spelling of the NHS number column and normalises spaces and dashes' -TestCases @(
        @{ Column = 'NHSNumber' }, @{ Column = 'NHS Number' }, @{ Column = 'NHS_Number' }, @{ Column = 'nhs number' }
    ) {
        param($Column)
        $row = [pscustomobject]@{ $Column = '943-476 5919'; 'Hospital ID' = 'H7'; Line = 12 }
        $result = $row | Test-NhsNumber
        $result.IsValid | Should -BeTrue
        $result.Normalized | Should -Be '9434765919'
        $result.HospitalId | Should -Be 'H7'
        $result.Line | Should -Be 12
    }
    It 'reads a file itself: each result names its hospital ID and line, and a shared number is a warning naming both rows' {
        Set-Content -LiteralPath TestDrive:/pairs.csv -Value "Hospital ID,NHS Number`nH1,943 476 5919`nH2,4010232137`nH3,943-476-5919"
        $results = Test-NhsNumber -LiteralPath TestDrive:/pairs.csv -WarningVariable warned -WarningAction SilentlyContinue
        $results.Line | Should -Be @(2, 3, 4)
        $results.HospitalId | Should -Be @('H1', 'H2', 'H3')
        $results.IsValid | Should -Be @($true, $true, $true)
        $warned | Should -HaveCount 1
        "$warned" | Should -Match "pairs\.csv, line 4, field 'NHS Number': NHS number 9434765919 belongs to hospital ID H3 here and to H1 on line 2"
    }
    It 'formats as a table' {
        (Test-NhsNumber 9434765919 | Out-String) | Should -Match 'HospitalId\s+Line\s+NhsNumber\s+IsValid\s+Reason'
    }
}
