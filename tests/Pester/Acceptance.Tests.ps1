# The whole quarterly procedure through Invoke-HandiPacsUpdate, two quarters and fault runs, against a real
# dcmqrscp (the PACS), dcmtk's storescp (XNAT's DICOM receiver, C-MOVE mode), the XNAT double (DQR mode) and a
# capped Orthanc (a PACS that stops C-FIND answers after a few matches; hand-over mode).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../examples/DemoPacs.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../examples/XnatDouble.psm1') -Force
    $script:runbookScript = (Resolve-Path (Join-Path $PSScriptRoot '../../examples/Invoke-HandiRunbook.ps1')).Path
    $script:manifest = (Resolve-Path (Join-Path $PSScriptRoot '../../HandiImaging.psd1')).Path
    $script:work = Join-Path ([IO.Path]::GetTempPath()) "handi-acceptance-$PID"
    New-Item -ItemType Directory -Path $work -Force | Out-Null
    $script:q1 = [datetime]'2024-10-04'
    $script:q2 = [datetime]'2025-01-06'

    function S($PatientId, $Date, $Accession, $Description, $Modality, $Uid) {
        [pscustomobject]@{ PatientId = $PatientId; PatientName = "Secretname^$PatientId"; StudyDate = $Date; AccessionNumber = $Accession
            StudyDescription = $Description; StudyInstanceUid = "1.2.826.0.1.3680043.10.77.$Uid"; Modality = $Modality; SeriesCount = 1 }
    }
    $script:studies = @(
        S N1 20150301 A101 'CT Neck' CT 101            # New patient: found with no date limit
        S N1 20240601 A102 'MRI Neck' MR 102
        S E1 20240501 A111 'CT Neck' CT 111            # before E1's window (LastQueried 2024-07-01 less 14 days): never found
        S E1 20240620 A112 'CT Neck' CT 112            # inside the overlap
        S E1 20240910 A113 'PET-CT' PT 113
        S E1 20241120 A114 'CT Neck' CT 114            # after quarter 1: found in quarter 2
        S E2 20240801 A121 'CT Thorax Special' CT 121  # on neither list: review, then included by the clinician
        S E2 20240802 A122 'XR Chest' DX 122           # excluded
        S E3 20240901 A131 'CT Neck' CT 131            # its images are gone from PACS: the move fails
        S D1 20240801 A141 'CT Neck' CT 141            # deceased: never queried
    )
    foreach ($n in 5..12) { $script:studies += S "E$n" 20240925 "A1$($n)0" 'CT Neck' CT "1$($n)0" }   # re-found by quarter 2's overlap
    $script:failingUid = '1.2.826.0.1.3680043.10.77.131'

    $script:receiver = Start-DemoReceiver -Path (Join-Path $work 'receiver')
    $script:pacs = Start-DemoPacs -Path (Join-Path $work 'pacs') -Study $studies -MoveDestination @{ XNAT = $receiver.Port }
    # E3's study stays in the PACS's index but its files are gone, as when PACS lists a study it cannot send.
    Get-ChildItem (Join-Path $pacs.Path 'storage') -Recurse -Filter *.dcm |
        Where-Object { [Text.Encoding]::ASCII.GetString([IO.File]::ReadAllBytes($_.FullName)).Contains($failingUid) } | Remove-Item

    function New-Site([string] $Name, [int] $Port, [int] $Throttle = 2, [string] $Mode = 'CMove', [string] $XnatUri) {
        $root = New-Item -ItemType Directory -Path (Join-Path $work $Name) -Force
        $exports = New-Item -ItemType Directory -Path (Join-Path $root 'exports') -Force
        $cohort = @('HospitalId,NhsNumber,Status,LastQueried,ReferenceDate,Note', 'N1,9434765919,New,,2024-01-15,new patient',
            'E1,,Existing,2024-07-01,2023-05-01,', 'E2,,Existing,2024-07-01,,', 'E3,,Existing,2024-07-01,,', 'D1,,Existing,2024-07-01,,')
        foreach ($n in 5..12) { $cohort += "E$n,,Existing,2024-07-01,," }
        Set-Content -LiteralPath (Join-Path $root 'cohort.csv') -Value $cohort
        Set-Content -LiteralPath (Join-Path $root 'deceased.csv') -Value @('HospitalId,DateOfDeath', 'D1,01/09/2024')
        Set-Content -LiteralPath (Join-Path $root 'rules.csv') -Value @('Description,Decision,DecidedBy,DecidedOn,Note',
            'CT Neck,Include,,,', 'MRI Neck,Include,,,', 'PET-CT,Include,,,', 'XR Chest,Exclude,,,')
        $headers = @{ CT = 'Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans'; MR = 'Subject,Date,MR ID,Scanner,Scans'; PET = 'Subject,Date,XNAT_PETSESSIONDATA ID,UID,Scans'
            CR = 'Subject,Date,XNAT_CRSESSIONDATA ID,ID,Session'; DX = 'Subject,Date,XNAT_DXSESSIONDATA ID,UID,Scans'; RF = 'Subject,Date,XNAT_RFSESSIONDATA ID,ID,Session'
            SR = 'Subject,Date,XNAT_SRSESSIONDATA ID,ID,Creator'; XA = 'Subject,Date,XNAT_XASESSIONDATA ID,ID,Creator' }
        foreach ($type in $headers.Keys) { Set-Content -LiteralPath (Join-Path $exports "$type.csv") -Value $headers[$type] }
        $site = [pscustomobject]@{ Root = $root.FullName; Config = (Join-Path $root 'config.psd1'); Cohort = (Join-Path $root 'cohort.csv')
            Ledger = (Join-Path $root 'ledger.csv'); Drop = (Join-Path $root 'edw-drop'); Rules = (Join-Path $root 'rules.csv'); Exports = $exports.FullName; Runs = (Join-Path $root 'runs') }
        Write-SiteConfig $site $Port $Throttle $Mode $XnatUri
        $site
    }
    function Write-SiteConfig($Site, [int] $Port, [int] $Throttle = 2, [string] $Mode = 'CMove', [string] $XnatUri) {
        $xnatSection = if ($XnatUri) { "Xnat = @{ Uri = '$XnatUri'; Project = 'RT-HaND'; PacsId = 1; PollSeconds = 1; WaitMinutes = 2 }" } else { "SessionExportPath = 'exports'" }
        Set-Content -LiteralPath $Site.Config -Value @"
@{
    Pacs = @{ HostName = '127.0.0.1'; Port = $Port; CalledAeTitle = 'QRSCP'; CallingAeTitle = 'HANDI'; TimeoutSeconds = 5; ThrottleLimit = $Throttle }
    Ingestion = @{ Mode = '$Mode'; MoveDestination = 'XNAT'; MoveAttempts = 2; OutageAfter = 3 }
    CohortPath = 'cohort.csv'
    DeceasedPath = 'deceased.csv'
    RulesPath = 'rules.csv'
    LedgerPath = 'ledger.csv'
    $xnatSection
    OverlapDays = 14
    RunRoot = 'runs'
    Edw = @{ DropFolder = 'edw-drop'; Keep = 3 }
}
"@
    }
    function Invoke-RunbookProcess($Site, [datetime] $AsOf, [hashtable] $Environment = @{}) {
        # A separate process, as Task Scheduler runs it (and so that a crash hook can end it).
        $saved = @{}
        foreach ($k in $Environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $Environment[$k]) }
        try {
            $out = & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -File $runbookScript -ConfigPath $Site.Config -AsOf $AsOf.ToString('yyyy-MM-dd') -ModulePath $manifest 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out -join "`n") }
        }
        finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
    }
    function Get-Cohort($Site) { Import-Csv $Site.Cohort | Group-Object HospitalId -AsHashTable }
    function Get-ReceivedCount { @(Get-ChildItem $receiver.Path -File).Count }
    function Get-RequestCounts($Site) { [HandiImaging.Core.Runbook.ImportHistory]::RequestCounts($Site.Runs) }
    function Add-Export($Site, [string] $Type, [string] $Line) { Add-Content -LiteralPath (Join-Path $Site.Exports "$Type.csv") -Value $Line }
}

AfterAll {
    if ($xnat) { Stop-XnatDouble $xnat }
    if ($pacs) { Stop-DemoPacs $pacs }
    if ($receiver) { Stop-DemoReceiver $receiver }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-HandiPacsUpdate: the configuration' -Tag Acceptance {
    BeforeAll { $script:cfgSite = New-Site 'config' $pacs.Port }
    It 'refuses a configuration holding a password, naming the key' {
        Set-Content -LiteralPath (Join-Path $cfgSite.Root 'secret.psd1') -Value ((Get-Content $cfgSite.Config -Raw) -replace "RunRoot = 'runs'", "RunRoot = 'runs'`n    Xnat = @{ Uri = 'https://x'; Project = 'P'; Password = 'hunter2' }")
        { Invoke-HandiPacsUpdate -ConfigPath (Join-Path $cfgSite.Root 'secret.psd1') } | Should -Throw -ExpectedMessage '*Xnat.Password*must not hold a password*' -ErrorId 'InvalidRunbookConfig,*'
    }
    It 'refuses code in the file and unknown keys, naming the line or the key' {
        Set-Content -LiteralPath (Join-Path $cfgSite.Root 'code.psd1') -Value ((Get-Content $cfgSite.Config -Raw) -replace "RunRoot = 'runs'", 'RunRoot = $env:TEMP')
        { Invoke-HandiPacsUpdate -ConfigPath (Join-Path $cfgSite.Root 'code.psd1') } | Should -Throw -ExpectedMessage '*line 10*only constants*'
        Set-Content -LiteralPath (Join-Path $cfgSite.Root 'typo.psd1') -Value ((Get-Content $cfgSite.Config -Raw) -replace 'OverlapDays', 'OverlapDay')
        { Invoke-HandiPacsUpdate -ConfigPath (Join-Path $cfgSite.Root 'typo.psd1') } | Should -Throw -ExpectedMessage '*OverlapDay: unknown key*'
        Set-Content -LiteralPath (Join-Path $cfgSite.Root 'mode.psd1') -Value ((Get-Content $cfgSite.Config -Raw) -replace "Mode = 'CMove'", "Mode = 'Carrier pigeon'")
        { Invoke-HandiPacsUpdate -ConfigPath (Join-Path $cfgSite.Root 'mode.psd1') } | Should -Throw -ExpectedMessage "*Ingestion.Mode: 'Carrier pigeon' is not Dqr, CMove or HandOver*"
    }
    It '-WhatIf queries and plans but changes nothing' {
        $before = (Get-FileHash $cfgSite.Cohort).Hash
        $run = Invoke-HandiPacsUpdate -ConfigPath $cfgSite.Config -AsOf $q1 -WhatIf -WarningAction SilentlyContinue
        $run.Status | Should -Be WhatIf
        $run.Planned | Should -Be 13
        $run.Review | Should -Be 1
        (Get-FileHash $cfgSite.Cohort).Hash | Should -Be $before
        $cfgSite.Ledger | Should -Not -Exist
        @(Get-ChildItem $cfgSite.Runs -Directory -ErrorAction SilentlyContinue).Count | Should -Be 0
        Get-ReceivedCount | Should -Be 0
    }
}

Describe 'Invoke-HandiPacsUpdate: two consecutive quarters (C-MOVE)' -Tag Acceptance {
    BeforeAll {
        $script:site = New-Site 'quarters' $pacs.Port
        $script:received0 = Get-ReceivedCount
        $script:first = Invoke-HandiPacsUpdate -ConfigPath $site.Config -AsOf $q1 -WarningAction SilentlyContinue
        $script:cohort1 = Get-Cohort $site
        $script:received1 = Get-ReceivedCount
    }
    It 'quarter 1: queries New patients all-time and Existing ones from their watermark less the overlap; deceased skipped' {
        $first.Status | Should -Be CompletedWithProblems
        $first.ExitCode | Should -Be 2       # a description awaits a clinician
        $first.Patients | Should -Be 12
        $first.Deceased | Should -Be 1
        $found = Import-Csv (Join-Path $first.RunFolder '02-pacs-studies.csv')
        $found.AccessionNumber | Should -Contain 'A101'        # 2015, New patient
        $found.AccessionNumber | Should -Contain 'A112'        # inside the overlap
        $found.AccessionNumber | Should -Not -Contain 'A111'   # before the window
        $found.AccessionNumber | Should -Not -Contain 'A114'   # after the as-of date
        $found.PatientId | Should -Not -Contain 'D1'
        $first.Studies | Should -Be 15
    }
    It 'quarter 1: imports the included studies, records the one PACS cannot send, and sends the unknown description to review' {
        $first.Included | Should -Be 13
        $first.Imported | Should -Be 12
        $first.Failed | Should -Be 1
        ($received1 - $received0) | Should -Be 12
        $first.Review | Should -Be 1
        $first.ReviewPath | Should -Exist
        $ledger = @(Get-IngestFailure -LedgerPath $site.Ledger)
        $ledger.Count | Should -Be 1
        $ledger[0].StudyInstanceUid | Should -Be $failingUid
        $ledger[0].Subject | Should -Be 'NN_E3'
        $ledger[0].Status | Should -Be Open
    }
    It 'quarter 1: promotes New patients and advances watermarks, except the patient whose study awaits review' {
        $cohort1['N1'].Status | Should -Be Existing
        $cohort1['N1'].LastQueried | Should -Be '2024-10-04'
        $cohort1['N1'].Note | Should -Be 'new patient'
        $cohort1['E1'].LastQueried | Should -Be '2024-10-04'
        $cohort1['E3'].LastQueried | Should -Be '2024-10-04'   # its failure is in the ledger: the patient is done
        $cohort1['E2'].LastQueried | Should -Be '2024-07-01'
        $cohort1['D1'].LastQueried | Should -Be '2024-07-01'
    }
    It 'quarter 1: leaves a complete run folder with a structured log and no patient names' {
        foreach ($f in 'config-used.json', 'log.jsonl', 'result.json', '01-cohort-patients.csv', '02-pacs-studies.csv', '03-classified-studies.csv',
            '03-review.xlsx', '04-import-plan.csv', '05-import-results.csv', '07-ledger-snapshot.csv', '07-failure-rates.csv', '08-master-summary.csv', '09-edw-publication.json', 'report.html') {
            Join-Path $first.RunFolder $f | Should -Exist
        }
        $log = Get-Content (Join-Path $first.RunFolder 'log.jsonl') | ConvertFrom-Json
        ($log | Where-Object event -eq done).step | Should -Be @('Cohort', 'Query', 'Select', 'Plan', 'Ingest', 'Sessions', 'Ledger', 'FailureRate', 'Summary', 'Publish', 'CohortUpdate')
        ($log | Where-Object { $_.step -eq 'Query' -and $_.event -eq 'done' }).counts.Studies | Should -Be 15
        foreach ($file in Get-ChildItem $first.RunFolder -File -Recurse | Where-Object Extension -ne '.xlsx') {
            Get-Content -LiteralPath $file.FullName -Raw | Should -Not -Match 'Secretname' -Because $file.Name
        }
        Get-Content (Join-Path $site.Runs 'import-history.jsonl') -Raw | Should -Not -Match 'Secretname'
        $first.ReportPath | Should -Be (Join-Path $first.RunFolder 'report.html')
        $report = Get-Content $first.ReportPath -Raw
        $report | Should -Match ([regex]::Escape($first.RunId))
        $report | Should -Match 'CT Thorax Special'
        $report | Should -Match '<svg'
    }
    It 'quarter 2: classifies the reviewed description, imports only new studies, and resolves the re-ingested failure' {
        # Between quarters: the clinician decides the review; the failed study reaches XNAT another way.
        $review = Join-Path $site.Root 'review.csv'
        @([pscustomobject]@{ Description = 'CT Thorax Special'; Decision = 'Include'; Note = 'staging' }) | Export-Csv -LiteralPath $review -NoTypeInformation
        Update-StudyRule -Path $site.Rules -ReviewPath $review -DecidedBy 'Dr Test' -DecidedOn 2024-11-01 | Should -HaveCount 1
        Add-Export $site CT "NN_E3,2024-09-01,A131,$failingUid,1"

        $second = Invoke-HandiPacsUpdate -ConfigPath $site.Config -AsOf $q2 -WarningAction SilentlyContinue
        $second.Status | Should -Be Completed
        $second.ExitCode | Should -Be 0
        $plan = Import-Csv (Join-Path $second.RunFolder '04-import-plan.csv')
        @($plan.AccessionNumber | Sort-Object) | Should -Be @('A114', 'A121')
        $second.AlreadyImported | Should -Be 8       # the overlap finds quarter 1's studies again; none is sent twice
        $second.Imported | Should -Be 2
        (Get-ReceivedCount) - $received1 | Should -Be 2
        $second.LedgerResolved | Should -Be 1
        $second.LedgerOpen | Should -Be 0
        (Get-Cohort $site)['E2'].LastQueried | Should -Be '2025-01-06'
        (Get-RequestCounts $site).Values | Where-Object { $_ -ne 1 } | Should -BeNullOrEmpty
        $summary = Import-Csv $second.SummaryPath
        ($summary | Where-Object Subject -eq 'NN_E3').'CT ID 1' | Should -Be 'A131'
        $summary.Subject | Should -Contain '9434765919'
    }
    It 'publishes each quarter''s summary to the EDW drop folder intact, with its checksum and nothing else' {
        $second = Get-Content (Join-Path (Get-ChildItem $site.Runs -Directory | Sort-Object Name)[-1].FullName 'result.json') -Raw | ConvertFrom-Json
        $files = @(Get-ChildItem $site.Drop -Force | Sort-Object Name)
        $files.Name | Should -HaveCount 4
        @($files | Where-Object Extension -eq '.csv').Count | Should -Be 2
        @($files | Where-Object Extension -eq '.sha256').Count | Should -Be 2
        (Get-FileHash $second.PublishedPath).Hash | Should -Be (Get-FileHash $second.SummaryPath).Hash
        (Get-Content ($second.PublishedPath + '.sha256') -Raw) | Should -Match ((Get-FileHash $second.PublishedPath).Hash.ToLowerInvariant())
    }
}

Describe 'Invoke-HandiPacsUpdate: hand-over mode' -Tag Acceptance {
    It 'stops after selection with the hand-over list, and -Resume with the returned failure text finishes the run' {
        $h = New-Site 'handover' $pacs.Port -Mode HandOver
        $waiting = Invoke-HandiPacsUpdate -ConfigPath $h.Config -AsOf $q1 -WarningAction SilentlyContinue
        $waiting.Status | Should -Be AwaitingHandOver
        $waiting.ExitCode | Should -Be 2      # review pending
        $list = Import-Csv $waiting.HandOverPath
        @($list).Count | Should -Be 13
        ($list | Get-Member -MemberType NoteProperty).Name | Should -Be @('AccessionNumber', 'HospitalId', 'StudyDate', 'StudyDescription', 'StudyInstanceUid', 'SubjectLabel')
        ($list | Where-Object HospitalId -eq N1 | Select-Object -First 1).SubjectLabel | Should -Be '9434765919'
        (Get-Cohort $h)['N1'].Status | Should -Be New           # nothing recorded before the hand-over comes back
        # Another run cannot start while this one waits.
        $blocked = Invoke-HandiPacsUpdate -ConfigPath $h.Config -AsOf $q1 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $blocked.ExitCode | Should -Be 1
        $blocked.Error | Should -Match 'waiting for the ingestion team'

        $text = Join-Path $h.Root 'PACs-failures.txt'
        $failed = $list | Where-Object AccessionNumber -eq 'A112'
        Set-Content -LiteralPath $text -Value ('"{""accessionNumber"":""A112"",""id"":""E1"",""studyDate"":""20240620"",""studyDescription"":""CT Neck"",""studyInstanceUid"":""' + $failed.StudyInstanceUid + '""}"')
        $done = Invoke-HandiPacsUpdate -ConfigPath $h.Config -Resume $waiting.RunFolder -FailurePath $text -WarningAction SilentlyContinue
        $done.Status | Should -Be CompletedWithProblems
        $done.RunFolder | Should -Be $waiting.RunFolder
        $done.Imported | Should -Be 12
        $done.Failed | Should -Be 1
        (Get-IngestFailure -LedgerPath $h.Ledger).AccessionNumber | Should -Be 'A112'
        (Get-Cohort $h)['N1'].Status | Should -Be Existing
        (Get-RequestCounts $h).Values | Where-Object { $_ -ne 1 } | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-HandiPacsUpdate: the failure-rate alarm' -Tag Acceptance {
    It 'fires when a third of the imports fail, and stays quiet at the historic rate' {
        $a = New-Site 'alarm' $pacs.Port -Mode HandOver
        $waiting = Invoke-HandiPacsUpdate -ConfigPath $a.Config -AsOf $q1 -WarningAction SilentlyContinue
        $ct = @(Import-Csv $waiting.HandOverPath | Where-Object StudyDescription -eq 'CT Neck')
        $failed = $ct | Select-Object -First ([math]::Ceiling($ct.Count / 3) + 1)
        $text = Join-Path $a.Root 'failures.txt'
        $failed | ForEach-Object { @{ accessionNumber = $_.AccessionNumber; id = $_.HospitalId; studyDate = $_.StudyDate; studyDescription = $_.StudyDescription; studyInstanceUid = $_.StudyInstanceUid } | ConvertTo-Json -Compress } |
            Set-Content -LiteralPath $text
        $done = Invoke-HandiPacsUpdate -ConfigPath $a.Config -Resume $waiting.RunFolder -FailurePath $text -WarningVariable warned -WarningAction SilentlyContinue
        $done.HighFailureRates | Should -Be 1
        $done.ExitCode | Should -Be 2
        ($warned -join ' ') | Should -Match 'Failure rate High for CT'
        $rates = Import-Csv (Join-Path $done.RunFolder '07-failure-rates.csv')
        ($rates | Where-Object Group -eq CT).Verdict | Should -Be High
        ($rates | Where-Object Group -eq CT).Failed | Should -Be $failed.Count
        ($rates | Where-Object Group -eq MR).Verdict | Should -Be Normal

        $quiet = New-Site 'alarm-quiet' $pacs.Port -Mode HandOver
        $waiting = Invoke-HandiPacsUpdate -ConfigPath $quiet.Config -AsOf $q1 -WarningAction SilentlyContinue
        Set-Content -LiteralPath $text -Value ''
        $done = Invoke-HandiPacsUpdate -ConfigPath $quiet.Config -Resume $waiting.RunFolder -FailurePath $text -WarningAction SilentlyContinue
        $done.HighFailureRates | Should -Be 0
    }
}

Describe 'Invoke-HandiPacsUpdate: fault runs' -Tag Acceptance {
    It 'a second concurrent run exits 3 and changes nothing' {
        $c = New-Site 'concurrent' $pacs.Port -Throttle 1
        $runbook = Start-Process -FilePath (Get-Process -Id $PID).Path -PassThru -RedirectStandardOutput (Join-Path $c.Root 'out.txt') -RedirectStandardError (Join-Path $c.Root 'err.txt') `
            -ArgumentList @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-File', $runbookScript, '-ConfigPath', $c.Config, '-AsOf', '2024-10-04', '-ModulePath', $manifest) `
            -Environment @{ HANDI_RUNBOOK_TEST_PAUSE_AFTER_QUERIES = '2' }
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Get-ChildItem $c.Runs -Recurse -Filter query-paused -ErrorAction SilentlyContinue)) {
                if ($runbook.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "the first run did not pause: $(Get-Content (Join-Path $c.Root 'err.txt') -Raw)" }
                Start-Sleep -Milliseconds 100
            }
            $second = Invoke-HandiPacsUpdate -ConfigPath $c.Config -AsOf $q1 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
            $second.Status | Should -Be Locked
            $second.ExitCode | Should -Be 3
            @(Get-ChildItem $c.Runs -Directory).Count | Should -Be 1
        }
        finally {
            Get-ChildItem $c.Runs -Recurse -Filter query-paused | Remove-Item
            $runbook.WaitForExit(60000) | Out-Null
        }
        $runbook.ExitCode | Should -Be 2
    }

    It 'the receiver down: bounded attempts, exit 2, nothing in the ledger, and the next run sends everything once' {
        $r = New-Site 'receiver-down' $pacs.Port
        Stop-DemoReceiver $receiver
        try {
            $down = Invoke-HandiPacsUpdate -ConfigPath $r.Config -AsOf $q1 -WarningAction SilentlyContinue
        }
        finally { $script:receiver = Start-DemoReceiver -Path (Join-Path $work 'receiver') -Port $receiver.Port }
        $down.ExitCode | Should -Be 2
        $down.Imported | Should -Be 0
        $down.NotSent | Should -Be 13
        $down.Problems -join ' ' | Should -Match 'looks unreachable'
        @(Get-IngestFailure -LedgerPath $r.Ledger).Count | Should -Be 0
        (Get-RequestCounts $r).Count | Should -Be 3            # three tries, then the rest wait
        (Get-Cohort $r)['E1'].LastQueried | Should -Be '2024-07-01'   # its studies were not sent: the watermark stays

        $before = Get-ReceivedCount
        $again = Invoke-HandiPacsUpdate -ConfigPath $r.Config -AsOf $q1 -WarningAction SilentlyContinue
        $again.Imported | Should -Be 12
        $again.Failed | Should -Be 1
        (Get-ReceivedCount) - $before | Should -Be 12
        (Get-Cohort $r)['E1'].LastQueried | Should -Be '2024-10-04'
    }

    It 'PACS killed mid-run: exit 2, unqueried patients keep their watermark, and the re-run completes' {
        $k = New-Site 'pacs-killed' 0 -Throttle 1
        $own = Start-DemoPacs -Path (Join-Path $work 'pacs-killed-pacs') -Study ($studies | Where-Object PatientId -ne E3) -MoveDestination @{ XNAT = $receiver.Port }
        $before = Get-ReceivedCount
        try {
            Write-SiteConfig $k $own.Port 1
            $runbook = Start-Process -FilePath (Get-Process -Id $PID).Path -PassThru -RedirectStandardOutput (Join-Path $k.Root 'out.txt') -RedirectStandardError (Join-Path $k.Root 'err.txt') `
                -ArgumentList @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-File', $runbookScript, '-ConfigPath', $k.Config, '-AsOf', '2024-10-04', '-ModulePath', $manifest) `
                -Environment @{ HANDI_RUNBOOK_TEST_PAUSE_AFTER_QUERIES = '3' }
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not ($flag = Get-ChildItem $k.Runs -Recurse -Filter query-paused -ErrorAction SilentlyContinue)) {
                if ($runbook.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "the run did not pause: $(Get-Content (Join-Path $k.Root 'err.txt') -Raw)" }
                Start-Sleep -Milliseconds 100
            }
            Stop-DemoPacs $own
            $flag | Remove-Item
            $runbook.WaitForExit(120000) | Out-Null
            $runbook.ExitCode | Should -Be 2
            $result = Get-Content (Join-Path $flag.DirectoryName 'result.json') -Raw | ConvertFrom-Json
            $result.NotQueried | Should -Be 9
            $notQueried = (Import-Csv (Join-Path $flag.DirectoryName '02-not-queried.csv')).PatientId
            $cohort = Get-Cohort $k
            foreach ($id in $notQueried) { $cohort[$id].LastQueried | Should -Be ($(if ($id -eq 'N1') { '' } else { '2024-07-01' })) -Because "$id was not queried" }

            $own = Start-DemoPacs -Path (Join-Path $work 'pacs-killed-pacs2') -Study ($studies | Where-Object PatientId -ne E3) -MoveDestination @{ XNAT = $receiver.Port }
            Write-SiteConfig $k $own.Port 1
            $rerun = Invoke-RunbookProcess $k $q1
            $rerun.ExitCode | Should -Be 2   # the review item is still pending
            $cohort = Get-Cohort $k
            foreach ($id in 'N1', 'E1', 'E3', 'E5', 'E12') { $cohort[$id].LastQueried | Should -Be '2024-10-04' -Because $id }
            (Get-ReceivedCount) - $before | Should -Be 12
            $history = Get-Content (Join-Path $k.Runs 'import-history.jsonl') | ConvertFrom-Json
            @($history | Where-Object Outcome -eq Imported).Count | Should -Be 12
            @($history | Where-Object Outcome -eq Imported | Group-Object StudyInstanceUid | Where-Object Count -gt 1).Count | Should -Be 0
        }
        finally { Stop-DemoPacs $own }
    }

    It 'a crash after each step: the re-run converges to the same files, and no study is imported twice' {
        $reference = New-Site 'crash-reference' $pacs.Port
        (Invoke-HandiPacsUpdate -ConfigPath $reference.Config -AsOf $q1 -WarningAction SilentlyContinue).ExitCode | Should -Be 2
        $expectedCohort = Get-Content $reference.Cohort -Raw
        $expectedLedger = (Import-Csv $reference.Ledger | Select-Object * -ExcludeProperty Source | ConvertTo-Csv) -join "`n"
        $expectedSummary = Get-Content (Join-Path (Get-ChildItem $reference.Runs -Directory)[0].FullName '08-master-summary.csv') -Raw
        foreach ($step in [HandiImaging.Core.Runbook.PacsUpdateRun]::Steps) {
            $s = New-Site "crash-$step" $pacs.Port
            $before = Get-ReceivedCount
            $crashed = Invoke-RunbookProcess $s $q1 @{ HANDI_RUNBOOK_TEST_CRASH_AFTER = $step }
            $crashed.ExitCode | Should -Be 86 -Because "the hook ends the run after $step"
            Join-Path (Get-ChildItem $s.Runs -Directory)[0].FullName 'result.json' | Should -Not -Exist
            $rerun = Invoke-RunbookProcess $s $q1
            $rerun.ExitCode | Should -Be 2 -Because "re-run after a crash after $step`n$($rerun.Output)"
            @(Get-ChildItem $s.Runs -Directory).Count | Should -Be 1 -Because 'the re-run resumes the run that died'
            Get-Content $s.Cohort -Raw | Should -Be $expectedCohort -Because "cohort after a crash after $step"
            (Import-Csv $s.Ledger | Select-Object * -ExcludeProperty Source | ConvertTo-Csv) -join "`n" | Should -Be $expectedLedger -Because "ledger after a crash after $step"
            Get-Content (Join-Path (Get-ChildItem $s.Runs -Directory)[0].FullName '08-master-summary.csv') -Raw | Should -Be $expectedSummary
            (Get-ReceivedCount) - $before | Should -Be 12 -Because "studies received after a crash after $step"
            @(Get-ChildItem $s.Drop -Force).Count | Should -Be 2 -Because "one summary version and its checksum after a crash after $step"
            (Get-RequestCounts $s).Values | Where-Object { $_ -ne 1 } | Should -BeNullOrEmpty -Because "no study requested twice after a crash after $step"
        }
    }
}

Describe 'Invoke-HandiPacsUpdate: XNAT''s query-retrieve plugin (DQR), against the XNAT double' -Tag Acceptance {
    BeforeAll {
        $script:xnat = Start-XnatDouble -Seed @{
            options   = @{ dqrAutomatic = $true; dqrStepIntervalMilliseconds = 100; dqrRetryDelaySeconds = 1; dqrMaxAttempts = 2 }
            users     = @(@{ username = 'handi'; password = 'pw'; roles = @('Administrator', 'Dqr') })
            projects  = @(@{ id = 'RT-HaND'; dqrEnabled = $true })
            pacs      = @(@{ id = 1; aeTitle = 'QRSCP'; host = '127.0.0.1'; port = $pacs.Port; callingAeTitle = 'XNAT'; defaultQueryRetrievePacs = $true })
            receivers = @(@{ aeTitle = 'XNAT'; port = 8104; enabled = $true; customProcessing = $true })
        }
        $script:cred = [pscredential]::new('handi', (ConvertTo-SecureString 'pw' -AsPlainText -Force))
        $script:d = New-Site 'dqr' $pacs.Port -Mode Dqr -XnatUri $xnat.BaseUri
    }
    It 'quarter 1: the double fails a third of the imports, the alarm fires, failures reach the ledger, the summary the EDW' {
        Invoke-XnatDoubleControl $xnat PUT dqr/faults @{ failFraction = 0.34 } | Out-Null
        $first = Invoke-HandiPacsUpdate -ConfigPath $d.Config -Credential $cred -AsOf $q1 -WarningVariable warned -WarningAction SilentlyContinue
        Invoke-XnatDoubleControl $xnat DELETE faults | Out-Null
        $first.ExitCode | Should -Be 2
        $first.Planned | Should -Be 13
        ($first.Imported + $first.Failed) | Should -Be 13
        $first.Failed | Should -BeGreaterOrEqual 3
        $first.HighFailureRates | Should -BeGreaterOrEqual 1
        ($warned -join ' ') | Should -Match 'Failure rate High'
        @(Get-IngestFailure -LedgerPath $d.Ledger).Count | Should -Be $first.Failed
        # XNAT's own session lists (exported over REST) hold every received study, under subject and accession.
        $ct = Import-Csv (Join-Path $first.RunFolder '06-sessions/CT.csv')
        $results = Import-Csv (Join-Path $first.RunFolder '05-import-results.csv')
        foreach ($r in $results | Where-Object { $_.Outcome -eq 'Imported' -and $_.Modalities -eq 'CT' }) { $ct.UID | Should -Contain $r.StudyInstanceUid }
        (Get-FileHash $first.PublishedPath).Hash | Should -Be (Get-FileHash $first.SummaryPath).Hash
        $script:dqrFirst = $first
    }
    It 'quarter 2: nothing is requested twice; a failure re-ingested in XNAT resolves; 500s are retried within bounds' {
        $failed = Get-IngestFailure -LedgerPath $d.Ledger | Select-Object -First 1
        Invoke-XnatDoubleControl $xnat POST seed @{ sessions = @(@{ project = 'RT-HaND'; label = $failed.AccessionNumber; subjectLabel = $failed.Subject
            xsiType = 'xnat:ctSessionData'; date = $failed.StudyDate; uid = $failed.StudyInstanceUid; scans = @(@{ id = '1'; type = 'CT' }) }) } | Out-Null
        Invoke-XnatDoubleControl $xnat POST faults @{ pathPattern = '/experiments$'; status = 500; times = 2 } | Out-Null
        $importsBefore = Get-XnatDoubleRequestCount $xnat -Endpoint 'POST /xapi/dqr/import'
        $second = Invoke-HandiPacsUpdate -ConfigPath $d.Config -Credential $cred -AsOf $q2 -WarningAction SilentlyContinue
        $second.ExitCode | Should -BeIn 0, 2
        $second.AlreadyImported | Should -Be 8
        $second.Planned | Should -Be 1          # A114; E2's study still awaits review here
        $second.LedgerResolved | Should -Be 1
        (Get-XnatDoubleRequestCount $xnat -Endpoint 'POST /xapi/dqr/import') - $importsBefore | Should -Be 1
        (Get-RequestCounts $d).Values | Where-Object { $_ -ne 1 } | Should -BeNullOrEmpty
    }
    It 'XNAT answering 500 for good: the run fails (exit 1) with nothing lost, and the re-run completes it' {
        $x = New-Site 'dqr-500' $pacs.Port -Mode Dqr -XnatUri $xnat.BaseUri
        Invoke-XnatDoubleControl $xnat POST faults @{ pathPattern = '/experiments$'; status = 500; times = 1000 } | Out-Null
        try {
            $failed = Invoke-HandiPacsUpdate -ConfigPath $x.Config -Credential $cred -AsOf $q1 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        }
        finally { Invoke-XnatDoubleControl $xnat DELETE faults | Out-Null }
        $failed.ExitCode | Should -Be 1
        $failed.Status | Should -Be Failed
        (Get-Cohort $x)['N1'].Status | Should -Be New
        $again = Invoke-HandiPacsUpdate -ConfigPath $x.Config -Credential $cred -AsOf $q1 -WarningAction SilentlyContinue
        $again.RunFolder | Should -Be $failed.RunFolder
        $again.ExitCode | Should -Be 2
        $again.Planned | Should -Be 13
        ($again.Imported + $again.Failed) | Should -Be 13
        (Get-Cohort $x)['N1'].Status | Should -Be Existing
        (Get-RequestCounts $x).Values | Where-Object { $_ -ne 1 } | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-HandiPacsUpdate: a capped Orthanc (hand-over mode)' -Tag Acceptance {
    BeforeAll {
        # Orthanc stops every C-FIND answer after 5 matches (0xFE00): each patient holds more studies than that, so
        # the query step completes its answers by splitting date ranges. O3 has 7 studies on one day, which no split can fit.
        $script:cap = 5
        $script:capped = [System.Collections.Generic.List[object]]::new()
        function O($PatientId, $Date, $Description = 'CT Neck', $Modality = 'CT') { $i = $capped.Count + 1; $capped.Add((S $PatientId $Date "OA$i" $Description $Modality "78.$i")) }
        foreach ($d in 20120301, 20140510, 20160720, 20180105, 20190909, 20210214, 20220630, 20230303, 20231111, 20240202, 20240606, 20240909) { O O1 $d }
        O O1 20170808 'XR Chest' DX                       # excluded: found but neither imported nor handed over
        O O1 20241201                                     # quarter 2
        foreach ($d in 20240501, 20240601) { O O2 $d }    # before O2's window in quarter 1
        foreach ($d in 20240620, 20240701, 20240715, 20240801, 20240815, 20240901, 20240920) { O O2 $d }
        foreach ($d in 20241105, 20241212) { O O2 $d }    # quarter 2
        foreach ($i in 1..7) { O O3 20240815 }            # an over-full day
        O O3 20240910
        $script:orthanc = Start-DemoOrthanc -Path (Join-Path $work 'orthanc') -Study $capped -LimitFindResults $cap
        $script:o = New-Site 'orthanc-site' $orthanc.Port -Mode HandOver
        Set-Content -LiteralPath $o.Cohort -Value @('HospitalId,NhsNumber,Status,LastQueried,ReferenceDate,Note', 'O1,,New,,,', 'O2,,Existing,2024-07-01,,', 'O3,,Existing,2024-07-01,,')
        (Get-Content $o.Config -Raw) -replace "CalledAeTitle = 'QRSCP'", "CalledAeTitle = 'ORTHANC'; MaxResultsPerQuery = $cap" | Set-Content -LiteralPath $o.Config
        function Expected([string] $PatientId, [string] $From, [string] $To) {
            @($capped | Where-Object { $_.PatientId -eq $PatientId -and $_.StudyDate -ge $From -and $_.StudyDate -le $To } | ForEach-Object StudyInstanceUid | Sort-Object)
        }
        function Found($Run, [string] $PatientId) {
            @(Import-Csv (Join-Path $Run.RunFolder '02-pacs-studies.csv') | Where-Object PatientId -eq $PatientId | ForEach-Object StudyInstanceUid | Sort-Object)
        }
        function Complete-HandOver($Run) {
            $text = Join-Path $o.Root "failures-$($Run.RunId).txt"
            Set-Content -LiteralPath $text -Value ''
            Invoke-HandiPacsUpdate -ConfigPath $o.Config -Resume $Run.RunFolder -FailurePath $text -WarningAction SilentlyContinue
        }
        $script:q1Waiting = Invoke-HandiPacsUpdate -ConfigPath $o.Config -AsOf $q1 -WarningVariable q1Warned -WarningAction SilentlyContinue
        $script:q1Warnings = @($q1Warned)
        $script:q1Done = Complete-HandOver $q1Waiting
    }
    AfterAll {
        if ($orthanc) { Stop-DemoOrthanc $orthanc }
    }

    It 'quarter 1: every study of every patient is found despite the cap (New all-time, Existing from the watermark less the overlap)' {
        $q1Waiting.Status | Should -Be AwaitingHandOver
        Found $q1Waiting O1 | Should -Be (Expected O1 19000101 20241004)
        Found $q1Waiting O2 | Should -Be (Expected O2 20240617 20241004)
        (Found $q1Waiting O1).Count | Should -BeGreaterThan $cap
        (Found $q1Waiting O2).Count | Should -BeGreaterThan $cap
        $q1Waiting.Studies | Should -Be (13 + 7 + $cap + 1)
        $log = Get-Content (Join-Path $q1Waiting.RunFolder 'log.jsonl') | ConvertFrom-Json
        ($log | Where-Object { $_.step -eq 'Query' -and $_.event -eq 'done' }).counts.Studies | Should -Be $q1Waiting.Studies
    }
    It 'quarter 1: a day holding more studies than the cap is reported as a warning, naming the patient, in the log, the report and the result' {
        Found $q1Waiting O3 | Should -HaveCount ($cap + 1)        # the cap's worth from the over-full day, and the other study
        (Found $q1Waiting O3) | Should -Contain ($capped | Where-Object { $_.PatientId -eq 'O3' -and $_.StudyDate -eq 20240910 }).StudyInstanceUid
        $log = Get-Content (Join-Path $q1Waiting.RunFolder 'log.jsonl') | ConvertFrom-Json
        $warnings = @($log | Where-Object { $_.step -eq 'Query' -and $_.event -eq 'warning' } | ForEach-Object message)
        $warnings | Should -HaveCount 1
        $warnings[0] | Should -Match '^O3: .*20240815.*may still be truncated.*cannot be split further'
        Get-Content $q1Done.ReportPath -Raw | Should -Match 'O3: [^<]*cannot be split further'
        $q1Waiting.Problems -join ' ' | Should -Match '1 patient.*may be incomplete'
        ($q1Warnings -join ' ') | Should -Match '1 patient.*may be incomplete'
        $q1Waiting.ExitCode | Should -Be 2
        $q1Done.ExitCode | Should -Be 2
    }
    It 'quarter 1: hands over exactly the included studies found, and records the patients' {
        $list = Import-Csv $q1Waiting.HandOverPath
        $included = @(Import-Csv (Join-Path $q1Waiting.RunFolder '02-pacs-studies.csv') | Where-Object StudyDescription -eq 'CT Neck' | ForEach-Object StudyInstanceUid | Sort-Object)
        @($list.StudyInstanceUid | Sort-Object) | Should -Be $included
        @($list).Count | Should -Be ($q1Waiting.Studies - 1)
        $q1Done.Imported | Should -Be @($list).Count
        $q1Done.Failed | Should -Be 0
        $cohort = Get-Cohort $o
        $cohort['O1'].Status | Should -Be Existing
        $cohort['O1'].LastQueried | Should -Be '2024-10-04'
        $cohort['O2'].LastQueried | Should -Be '2024-10-04'
    }
    It 'quarter 2: from the watermarks, finds the new studies and the overlap, hands over only the new ones, none twice' {
        $waiting = Invoke-HandiPacsUpdate -ConfigPath $o.Config -AsOf $q2 -WarningAction SilentlyContinue
        Found $waiting O1 | Should -Be (Expected O1 20240920 20250106)
        Found $waiting O2 | Should -Be (Expected O2 20240920 20250106)
        $new = @(@(Expected O1 20241005 20250106) + @(Expected O2 20241005 20250106) | Sort-Object)
        @((Import-Csv $waiting.HandOverPath).StudyInstanceUid | Sort-Object) | Should -Be $new
        $waiting.AlreadyImported | Should -Be ((Expected O1 20240920 20241004).Count + (Expected O2 20240920 20241004).Count)
        $done = Complete-HandOver $waiting
        $done.Imported | Should -Be $new.Count
        (Get-RequestCounts $o).Values | Where-Object { $_ -ne 1 } | Should -BeNullOrEmpty
        (Get-Cohort $o)['O1'].LastQueried | Should -Be '2025-01-06'
    }
}
