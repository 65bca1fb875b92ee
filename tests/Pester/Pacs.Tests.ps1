BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force
}

Describe 'New-PacsConnection' {
    It 'describes a PACS with its limits' {
        $c = New-PacsConnection -HostName pacs.local -Port 104 -CalledAeTitle SECTRA -CallingAeTitle HANDI -MaxResultsPerQuery 500 -ThrottleLimit 2
        $c | Should -BeOfType ([HandiImaging.Core.Pacs.PacsConnection])
        $c.CalledAeTitle | Should -Be 'SECTRA'
        $c.MaxResultsPerQuery | Should -Be 500
        $c.ThrottleLimit | Should -Be 2
        $c.TimeoutSeconds | Should -Be 30
    }
    It 'refuses an AE title DICOM does not allow, naming it' {
        New-PacsConnection -HostName h -Port 104 -CalledAeTitle 'A_TITLE_LONGER_THAN_16' -CallingAeTitle HANDI -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidPacsConnection,*'
        $err[0].Exception.Message | Should -Match "'A_TITLE_LONGER_THAN_16' is 22 characters"
    }
    It 'binds a configuration row by property name' {
        $rows = [pscustomobject]@{ HostName = 'a'; Port = '11112'; CalledAeTitle = 'QR'; CallingAeTitle = 'ME'; ThrottleLimit = '3' }
        ($rows | New-PacsConnection).ThrottleLimit | Should -Be 3
    }
    It 'shows a table' {
        (New-PacsConnection h 104 -CalledAeTitle QR -CallingAeTitle ME | Out-String) | Should -Match 'HostName\s+Port\s+CalledAeTitle'
    }
}
