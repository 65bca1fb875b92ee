# The PACS cmdlets against a real dcmqrscp (and storescp as a C-MOVE destination), started here.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../examples/DemoPacs.psm1') -Force

    function New-TestStudy($PatientId, $Name, $Date, $Accession, $Description, $Uid, $Modality, $Series = 1) {
        [pscustomobject]@{ PatientId = $PatientId; PatientName = $Name; StudyDate = $Date; AccessionNumber = $Accession
            StudyDescription = $Description; StudyInstanceUid = $Uid; Modality = $Modality; SeriesCount = $Series }
    }
    $script:studies = @(
        New-TestStudy H100 'Müller^Jürgen' 20220110 A1 'CT Neck' 1.2.826.0.1.3680043.9.71.1 CT 2
        New-TestStudy H100 'Müller^Jürgen' 20230615 A2 'MRI Head & Neck' 1.2.826.0.1.3680043.9.71.2 MR
        New-TestStudy H100 'Müller^Jürgen' 20241201 A3 'PET-CT, whole body' 1.2.826.0.1.3680043.9.71.3 PT
        New-TestStudy H200 'Ødegård^Åse' 20231003 A4 'CT Chest' 1.2.826.0.1.3680043.9.71.4 CT
        New-TestStudy H300 'Smith^John' 20240102 A5 'OPG' 1.2.826.0.1.3680043.9.71.5 DX
    )
    $script:work = Join-Path ([IO.Path]::GetTempPath()) "handi-pacs-$PID"
    $script:destinationPort = Get-FreeTcpPort
    $script:received = New-Item -ItemType Directory -Path (Join-Path $work 'received') -Force
    $env:TCP_NODELAY = '1'
    $script:storescp = Start-Process -FilePath (Get-Command storescp -CommandType Application | Select-Object -First 1).Source `
        -ArgumentList @('-aet', 'XNAT', '-od', $received.FullName, "$destinationPort") -PassThru `
        -RedirectStandardOutput (Join-Path $work 'storescp.out') -RedirectStandardError (Join-Path $work 'storescp.err')
    $script:pacs = Start-DemoPacs -Path (Join-Path $work 'pacs') -Study $studies -MoveDestination @{ XNAT = $destinationPort }
    $script:connection = New-PacsConnection -HostName 127.0.0.1 -Port $pacs.Port -CalledAeTitle QRSCP -CallingAeTitle HANDI -TimeoutSeconds 10
    # A peer that accepts TCP connections and never says a word.
    $script:stalled = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $stalled.Start()
}

AfterAll {
    if ($pacs) { Stop-DemoPacs $pacs }
    if ($storescp -and -not $storescp.HasExited) { $storescp.Kill(); $storescp.WaitForExit(5000) | Out-Null }
    if ($stalled) { $stalled.Stop() }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
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
        $row = [pscustomobject]@{ HostName = 'a'; Port = '11112'; CalledAeTitle = 'QR'; CallingAeTitle = 'ME'; ThrottleLimit = '3' }
        ($row | New-PacsConnection).ThrottleLimit | Should -Be 3
    }
    It 'shows a table' {
        (New-PacsConnection h 104 -CalledAeTitle QR -CallingAeTitle ME | Out-String) | Should -Match 'HostName\s+Port\s+CalledAeTitle'
    }
}

Describe 'Test-PacsConnection' {
    It 'echoes a real PACS' {
        $echo = Test-PacsConnection -Connection $connection
        $echo.Success | Should -BeTrue
        $echo.PeerImplementation | Should -Match 'DCMTK'
        $echo.PeerMaxPduLength | Should -Be 16384
    }
    It 'takes a hashtable for the connection' {
        (Test-PacsConnection @{ HostName = '127.0.0.1'; Port = $pacs.Port; CalledAeTitle = 'QRSCP'; CallingAeTitle = 'HANDI' }).Success | Should -BeTrue
    }
    It 'says the called AE title is wrong' {
        $wrong = New-PacsConnection 127.0.0.1 $pacs.Port -CalledAeTitle NOTQRSCP -CallingAeTitle HANDI
        Test-PacsConnection $wrong -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PacsAssociationRejected,*'
        $err[0].Exception.Message | Should -Match "called AE title 'NOTQRSCP' is not recognised"
    }
    It 'says nothing is listening' {
        $nobody = New-PacsConnection 127.0.0.1 (Get-FreeTcpPort) -CalledAeTitle QRSCP -CallingAeTitle HANDI -TimeoutSeconds 5
        Test-PacsConnection $nobody -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PacsUnreachable,*'
    }
    It 'gives up on a peer that never answers within the deadline' {
        $silent = New-PacsConnection 127.0.0.1 $stalled.LocalEndpoint.Port -CalledAeTitle QRSCP -CallingAeTitle HANDI -TimeoutSeconds 2
        $elapsed = Measure-Command { Test-PacsConnection $silent -ErrorVariable err -ErrorAction SilentlyContinue }
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PacsTimeout,*'
        $elapsed.TotalSeconds | Should -BeLessThan 10
    }
}

Describe 'Find-PacsStudy' {
    It 'finds a patient''s studies with their details, names decoded exactly' {
        $found = Find-PacsStudy -Connection $connection -PatientId H100 | Sort-Object AccessionNumber
        $found.AccessionNumber | Should -Be @('A1', 'A2', 'A3')
        $found[0].PatientName | Should -BeExactly 'Müller^Jürgen'
        $found[1].StudyDescription | Should -BeExactly 'MRI Head & Neck'
        $found[2].StudyDescription | Should -BeExactly 'PET-CT, whole body'
        $found[0].StudyDate | Should -Be ([datetime]'2022-01-10')
        $found[0] | Should -BeOfType ([HandiImaging.Core.Pacs.PacsStudy])
    }
    It 'queries closed and open date ranges' {
        (Find-PacsStudy -Connection $connection -StudyDate 20230101-20231231).AccessionNumber | Sort-Object | Should -Be @('A2', 'A4')
        (Find-PacsStudy -Connection $connection -StudyDate 20240101-).AccessionNumber | Sort-Object | Should -Be @('A3', 'A5')
        (Find-PacsStudy -Connection $connection -StudyDate -20221231).AccessionNumber | Should -Be @('A1')
        (Find-PacsStudy -Connection $connection -PatientId H100 -Since 2023-01-01).AccessionNumber | Sort-Object | Should -Be @('A2', 'A3')
        (Find-PacsStudy -Connection $connection -From 2023-01-01 -To 2023-12-31).AccessionNumber | Sort-Object | Should -Be @('A2', 'A4')
    }
    It 'finds studies by UID list and by accession number' {
        (Find-PacsStudy -Connection $connection -StudyInstanceUid 1.2.826.0.1.3680043.9.71.4, 1.2.826.0.1.3680043.9.71.5).AccessionNumber | Sort-Object | Should -Be @('A4', 'A5')
        (Find-PacsStudy -Connection $connection -AccessionNumber A3).StudyInstanceUid | Should -Be '1.2.826.0.1.3680043.9.71.3'
    }
    It 'resolves modalities from the series when the PACS leaves them out, and filters by them' {
        (Find-PacsStudy -Connection $connection -PatientId H100 -AccessionNumber A1).ModalitiesInStudy | Should -BeNullOrEmpty
        (Find-PacsStudy -Connection $connection -PatientId H100 -AccessionNumber A1 -ResolveModality).ModalitiesInStudy | Should -Be @('CT')
        (Find-PacsStudy -Connection $connection -Modality CT).AccessionNumber | Sort-Object | Should -Be @('A1', 'A4')
    }
    It 'queries each piped patient over its own window, binding by property name' {
        $patients = @(
            [pscustomobject]@{ PatientId = 'H100'; Since = [datetime]'2024-01-01' }
            [pscustomobject]@{ PatientId = 'H200'; Since = $null }
        )
        ($patients | Find-PacsStudy -Connection $connection).AccessionNumber | Sort-Object | Should -Be @('A3', 'A4')
    }
    It 'binds Import-Csv rows with a HospitalId column' {
        Set-Content -LiteralPath TestDrive:/patients.csv -Value "HospitalId`nH200`nH300"
        (Import-Csv -LiteralPath TestDrive:/patients.csv | Find-PacsStudy -Connection $connection).AccessionNumber | Sort-Object | Should -Be @('A4', 'A5')
    }
    It 'rejects an unreadable date range as a non-terminating error' {
        Find-PacsStudy -Connection $connection -StudyDate '2024-01-01' -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidStudyDateRange,*'
    }
    It 'refuses a patient ID DICOM cannot match literally, naming it, and queries the others' {
        $found = 'H1*', 'H100' | Find-PacsStudy -Connection $connection -ErrorVariable err -ErrorAction SilentlyContinue
        @($found).Count | Should -Be 3
        @($found.PatientId | Sort-Object -Unique) | Should -Be @('H100')
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PacsQueryKeyNotMatchable,*'
        $err[0].TargetObject | Should -Be 'H1*'
    }
    It 'stops a patient that would cost more than -MaxQueriesPerPatient C-FINDs' {
        $capped = New-PacsConnection 127.0.0.1 $pacs.Port -CalledAeTitle QRSCP -CallingAeTitle HANDI -MaxResultsPerQuery 1 -TimeoutSeconds 10
        $null = Find-PacsStudy -Connection $capped -PatientId H100 -MaxQueriesPerPatient 2 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PacsQueryBudgetExceeded,*'
        $err[0].TargetObject | Should -Be 'H100'
    }
    It 'stops at once when the settings cannot work' {
        $wrong = @{ HostName = '127.0.0.1'; Port = $pacs.Port; CalledAeTitle = 'WRONG'; CallingAeTitle = 'HANDI' }
        { 'H100', 'H200', 'H300' | Find-PacsStudy -Connection $wrong -ErrorAction Stop } | Should -Throw -ErrorId 'PacsAssociationRejected,HandiImaging.Commands.FindPacsStudyCommand'
    }
    It 'ends in a timeout error, not a hang, when the PACS never answers' {
        $silent = New-PacsConnection 127.0.0.1 $stalled.LocalEndpoint.Port -CalledAeTitle QRSCP -CallingAeTitle HANDI -TimeoutSeconds 2
        $elapsed = Measure-Command { Find-PacsStudy -Connection $silent -PatientId H100 -ErrorVariable err -ErrorAction SilentlyContinue }
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PacsTimeout,*'
        $elapsed.TotalSeconds | Should -BeLessThan 10
    }
    It 'is cancelled promptly by Stop (Ctrl+C)' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
                param($manifest, $port)
                Import-Module $manifest
                Find-PacsStudy -Connection @{ HostName = '127.0.0.1'; Port = $port; CalledAeTitle = 'QRSCP'; CallingAeTitle = 'HANDI'; TimeoutSeconds = 300 } -PatientId H1, H2, H3
            }).AddArgument((Join-Path $PSScriptRoot '../../HandiImaging.psd1')).AddArgument($stalled.LocalEndpoint.Port)
        $handle = $ps.BeginInvoke()
        Start-Sleep -Milliseconds 1500
        $handle.IsCompleted | Should -BeFalse
        $elapsed = Measure-Command { $ps.Stop() }
        $elapsed.TotalSeconds | Should -BeLessThan 10
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        $ps.Dispose()
    }
}

Describe 'Send-PacsStudy' {
    It 'moves every instance to the destination and reports counts' {
        $result = Find-PacsStudy -Connection $connection -AccessionNumber A1 | Send-PacsStudy -Connection $connection -Destination XNAT
        $result.Success | Should -BeTrue
        $result.Completed | Should -Be 2
        $result.Failed | Should -Be 0
        @(Get-ChildItem $received -File).Count | Should -Be 2
    }
    It 'changes nothing with -WhatIf' {
        $before = @(Get-ChildItem $received -File).Count
        Send-PacsStudy -Connection $connection -Destination XNAT -StudyInstanceUid 1.2.826.0.1.3680043.9.71.2 -WhatIf | Should -BeNullOrEmpty
        @(Get-ChildItem $received -File).Count | Should -Be $before
    }
    It 'says when the destination is unknown to the PACS' {
        Send-PacsStudy -Connection $connection -Destination NOWHERE -StudyInstanceUid 1.2.826.0.1.3680043.9.71.2 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PacsMoveFailed,*'
        $err[0].Exception.Message | Should -Match 'destination'
    }
}
