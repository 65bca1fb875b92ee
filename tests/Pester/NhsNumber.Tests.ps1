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
        $results.IsValid | Should -Be @($true, $false, $true)
    }
    It 'formats as a table' {
        (Test-NhsNumber 9434765919 | Out-String) | Should -Match 'NhsNumber\s+IsValid\s+Reason'
    }
}
