# The XNAT cmdlets against the XNAT test double (a process), with a real dcmqrscp as the PACS behind DQR:
# PACS -> selection -> Request-XnatImport -> Wait-XnatImport -> ledger -> Export-XnatSessionSummary -> Merge-XnatSummary.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../examples/DemoPacs.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../examples/XnatDouble.psm1') -Force

    $script:work = Join-Path ([IO.Path]::GetTempPath()) "handi-xnat-$PID"
    function S($PatientId, $Date, $Accession, $Description, $Modality, $Series = 1) {
        [pscustomobject]@{ PatientId = $PatientId; PatientName = 'Test^Patient'; StudyDate = $Date; AccessionNumber = $Accession
            StudyDescription = $Description; StudyInstanceUid = "1.2.826.0.1.3680043.9.73.$Accession"; Modality = $Modality; SeriesCount = $Series }
    }
    $script:studies = @(
        S H100 20241105 101 'CT Neck' CT 3                      # received: a CT session with the study's 3 series
        S H100 20241106 102 'MRI Head and Neck, post' MR        # every C-MOVE fails: FAILED after DQR's retries
        S H100 20241107 103 'XR Chest' CR                       # excluded by the rules
        S H200 20241108 201 'CT Neck' CT 2                      # stays ISSUED: stale
        S H200 20241109 202 'MRI Head and Neck, post' MR        # dropped by XNAT (no series found)
    )
    $script:pacs = Start-DemoPacs -Path (Join-Path $work 'pacs') -Study $studies -CallingAeTitle @('HANDI', 'XNAT')
    $script:pacsConnection = New-PacsConnection -HostName 127.0.0.1 -Port $pacs.Port -CalledAeTitle $pacs.AeTitle -CallingAeTitle HANDI -TimeoutSeconds 10
    $script:password = 'Xn4t:pass word'
    $script:double = Start-XnatDouble -Seed @{
        options  = @{ dqrAutomatic = $true; dqrStepIntervalMilliseconds = 100; dqrRetryDelaySeconds = 0 }
        users    = @(@{ username = 'admin'; password = $password; roles = @('Administrator', 'Dqr') }
                     @{ username = 'viewer'; password = $password; roles = @(); projects = @('RT-HaND') })
        projects = @(@{ id = 'RT-HaND' })
        pacs     = @(@{ id = 1; aeTitle = $pacs.AeTitle; host = '127.0.0.1'; port = $pacs.Port; callingAeTitle = 'XNAT'; defaultQueryRetrievePacs = $true })
    }
    Invoke-XnatDoubleControl $double PUT dqr/faults @{ failStudies = @('1.2.826.0.1.3680043.9.73.102'); stuckStudies = @('1.2.826.0.1.3680043.9.73.201'); dropStudies = @('1.2.826.0.1.3680043.9.73.202') } | Out-Null
    $script:credential = [pscredential]::new('admin', (ConvertTo-SecureString $password -AsPlainText -Force))
    $script:xnat = Connect-Xnat -Uri $double.BaseUri -Credential $credential -TimeoutSec 30

    Set-Content -LiteralPath TestDrive:/cohort.csv -Value "HospitalId,NhsNumber,Status,LastQueried,ReferenceDate`r`nH100,9434765919,Existing,2024-10-01,`r`nH200,,New,,"
    Set-Content -LiteralPath TestDrive:/rules.csv -Value "Description,Decision,DecidedBy,DecidedOn,Note`r`nCT Neck,Include,,,`r`nMRI Head and Neck,Include,,,`r`n""MRI Head and Neck, post"",Include,,,`r`nXR Chest,Exclude,,,"
    Set-Content -LiteralPath TestDrive:/reference_dates.csv -Value "Subject,Reference Date`r`n9434765919,2024-11-01"
}

AfterAll {
    if ($xnat) { Disconnect-Xnat $xnat }
    if ($double) { Stop-XnatDouble $double }
    if ($pacs) { Stop-DemoPacs $pacs }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Connect-Xnat' {
    It 'logs in once and returns the connection' {
        $xnat | Should -BeOfType ([HandiImaging.Core.Xnat.XnatConnection])
        $xnat.UserName | Should -Be 'admin'
        $xnat.IsConnected | Should -BeTrue
        ($xnat | Out-String) | Should -Match 'Uri\s+UserName\s+IsConnected'
    }
    It 'refuses a wrong password with XnatAuthenticationFailed, naming no secret' {
        $bad = [pscredential]::new('admin', (ConvertTo-SecureString 'Wr0ng-Secret' -AsPlainText -Force))
        { Connect-Xnat $double.BaseUri $bad } | Should -Throw -ErrorId 'XnatAuthenticationFailed,HandiImaging.Commands.ConnectXnatCommand'
        try { Connect-Xnat $double.BaseUri $bad } catch { "$_" | Should -Not -Match 'Wr0ng-Secret' }
    }
    It 'refuses an address that is not http(s)' {
        { Connect-Xnat 'ftp://example.org' $credential } | Should -Throw -ErrorId 'InvalidXnatUri,HandiImaging.Commands.ConnectXnatCommand'
    }
}

Describe 'PACS -> selection -> import -> wait -> ledger -> export -> merge' {
    BeforeAll {
        $rules = Import-StudyRule TestDrive:/rules.csv
        $script:requests = Import-Cohort TestDrive:/cohort.csv |
            Find-PacsStudy -Connection $pacsConnection |
            Select-RelevantStudy -RuleSet $rules -Decision Include |
            Request-XnatImport -Connection $xnat -Project RT-HaND -PacsId 1 -CohortPath TestDrive:/cohort.csv -WarningVariable script:importWarnings -WarningAction SilentlyContinue
        $script:change = $requests |
            Wait-XnatImport -Connection $xnat -PollInterval 00:00:00.3 -StaleAfter 00:00:03 -Timeout 00:01:30 |
            Add-IngestFailure -LedgerPath TestDrive:/ledger.csv
        $script:ledger = Get-IngestFailure TestDrive:/ledger.csv
    }

    It 'requests the included studies relabelled, and reports the one XNAT dropped' {
        $requests | Should -HaveCount 4
        ($requests | Where-Object Status -eq Queued).AccessionNumber | Sort-Object | Should -Be @('101', '102', '201')
        ($requests | Where-Object Status -eq Dropped).AccessionNumber | Should -Be '202'
        ($requests | Where-Object AccessionNumber -eq '101').Subject | Should -Be '9434765919'
        ($requests | Where-Object AccessionNumber -eq '201').Subject | Should -Be 'NN_H200'
        "$importWarnings" | Should -Match '1 study was Dropped'
        ($requests | Out-String) | Should -Match 'Status\s+Subject\s+StudyDate'
    }

    It 'records the failed, stale and dropped studies in the ledger with their PACS descriptions' {
        $change.Added | Should -Be 3
        ($ledger | Sort-Object AccessionNumber).AccessionNumber | Should -Be @('102', '201', '202')
        ($ledger | Where-Object AccessionNumber -eq '102').StudyDescription | Should -Be 'MRI Head and Neck, post'
        ($ledger | Where-Object AccessionNumber -eq '102').Source | Should -Match 'Failed'
        ($ledger | Where-Object AccessionNumber -eq '201').Source | Should -Match 'Stale'
        ($ledger | Where-Object AccessionNumber -eq '202').Subject | Should -Be 'NN_H200'
        ($ledger | Where-Object AccessionNumber -eq '202').StudyDate | Should -Be '2024-11-09'
    }

    It 'lists the received study as a session with its real series as scans' {
        $session = Get-XnatSession -Connection $xnat -Project RT-HaND -Type CT -IncludeScanCount
        $session | Should -HaveCount 1
        $session.Label | Should -Be '101'
        $session.Subject | Should -Be '9434765919'
        $session.ScanCount | Should -Be 3
        $session.StudyInstanceUid | Should -Be '1.2.826.0.1.3680043.9.73.101'
        ($session | Out-String) | Should -Match 'Type\s+Subject\s+Date'
    }

    It 'exports the session lists and merges them with the open failures' {
        $result = Export-XnatSessionSummary -Connection $xnat -Project RT-HaND -Path TestDrive:/export
        $result.Sessions | Should -Be 1
        $result.Requests | Should -Be 9
        (Get-Content TestDrive:/export/CT.csv)[0] | Should -Be 'Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans'
        (Get-Content TestDrive:/export/CT.csv)[1] | Should -Match '^9434765919,2024-11-05,XNAT_E\d+,1\.2\.826\.0\.1\.3680043\.9\.73\.101,3$'
        (Get-Content TestDrive:/export/MR.csv) | Should -Be 'Subject,Date,MR ID,Scanner,Scans'

        $summary = Merge-XnatSummary -SessionPath TestDrive:/export -ReferenceDatePath TestDrive:/reference_dates.csv -FailurePath TestDrive:/ledger.csv -CohortPath TestDrive:/cohort.csv -OutputPath TestDrive:/summary.csv
        $summary.SubjectCount | Should -Be 2
        $rows = Import-Csv TestDrive:/summary.csv
        $h100 = $rows | Where-Object Subject -eq '9434765919'
        $h100.'CT Date 1' | Should -Be '2024-11-05'
        $h100.'CT Difference from Reference Date 1' | Should -Be '4'
        $h100.'CT Scans 1' | Should -Be '3'
        $h100.'PACs-not-ingested ID 1' | Should -Be '102'
        $h100.'PACs-not-ingested UID 1' | Should -Be 'MRI Head and Neck, post'
        ($rows | Where-Object Subject -eq 'NN_H200').'PACs-not-ingested ID 2' | Should -Be '202'
    }

    It 'asks again for the open failures from the ledger, skipping nothing already in XNAT, and -WhatIf sends nothing' {
        $before = Get-XnatDoubleRequestCount $double -Endpoint 'POST /xapi/dqr/import'
        $again = Get-IngestFailure TestDrive:/ledger.csv -Status Open | Request-XnatImport -Connection $xnat -Project RT-HaND -PacsId 1 -WhatIf -WarningAction SilentlyContinue
        $again | Should -BeNullOrEmpty
        Get-XnatDoubleRequestCount $double -Endpoint 'POST /xapi/dqr/import' | Should -Be $before

        $received = Get-XnatSession -Connection $xnat -Project RT-HaND -Type CT | Select-Object StudyInstanceUid, @{ n = 'Subject'; e = { $_.Subject } }, @{ n = 'AccessionNumber'; e = { $_.Label } }
        $skipped = $received | Request-XnatImport -Connection $xnat -Project RT-HaND -PacsId 1
        $skipped.Status | Should -Be 'AlreadyInXnat'
        Get-XnatDoubleRequestCount $double -Endpoint 'POST /xapi/dqr/import' | Should -Be $before
    }
}

Describe 'XNAT errors' {
    It 'a user without the Dqr role gets XnatForbidden' {
        $viewer = Connect-Xnat $double.BaseUri ([pscredential]::new('viewer', (ConvertTo-SecureString $password -AsPlainText -Force)))
        try {
            { [pscustomobject]@{ StudyInstanceUid = '1.2.3'; AccessionNumber = 'X1'; Subject = 'NN_H1' } | Request-XnatImport -Connection $viewer -Project RT-HaND -PacsId 1 } |
                Should -Throw -ErrorId 'XnatForbidden,HandiImaging.Commands.RequestXnatImportCommand'
        } finally { Disconnect-Xnat $viewer }
    }
    It 'an unknown project is XnatNotFound' {
        { Get-XnatSession -Connection $xnat -Project NOPE } | Should -Throw -ErrorId 'XnatNotFound,HandiImaging.Commands.GetXnatSessionCommand'
    }
    It 'a study without an accession number is rejected per item and still reaches the ledger as a failure' {
        $r = [pscustomobject]@{ StudyInstanceUid = '1.2.826.0.1.3680043.9.73.999'; Subject = 'NN_H9'; StudyDescription = 'CT' } |
            Request-XnatImport -Connection $xnat -Project RT-HaND -PacsId 1 -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Rejected'
        $err[0].FullyQualifiedErrorId | Should -Be 'XnatImportRejected,HandiImaging.Commands.RequestXnatImportCommand'
        $f = $r | Wait-XnatImport -Connection $xnat
        $f | Should -BeOfType ([HandiImaging.Core.Failures.IngestFailure])
        $f.StudyInstanceUid | Should -Be '1.2.826.0.1.3680043.9.73.999'
    }
    It 'a session the server ended is renewed once' {
        Invoke-XnatDoubleControl $double DELETE sessions | Out-Null
        Get-XnatSession -Connection $xnat -Project RT-HaND -Type CT | Should -HaveCount 1
        $xnat.LoginCount | Should -Be 2
    }
    It 'Disconnect-Xnat ends the session; the connection then says so' {
        $c = Connect-Xnat $double.BaseUri $credential
        (Disconnect-Xnat $c -PassThru).RequestCount | Should -BeGreaterThan 2
        $c.IsConnected | Should -BeFalse
        { Get-XnatSession -Connection $c -Project RT-HaND } | Should -Throw -ErrorId 'XnatNotConnected,HandiImaging.Commands.GetXnatSessionCommand'
    }
}
