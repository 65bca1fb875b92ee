# The XNAT double's PowerShell helper (examples/XnatDouble.psm1): start with a seed, drive the control API, stop.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../examples/XnatDouble.psm1') -Force
    $script:x = Start-XnatDouble -Seed @{
        options  = @{ maxSessionsPerUser = 2 }
        users    = @(@{ username = 'admin'; password = 'pw'; roles = @('Administrator', 'Dqr') })
        projects = @(@{ id = 'RT-HaND' })
        sessions = @(@{ project = 'RT-HaND'; label = 'ACC1'; subjectLabel = '9434765919'; xsiType = 'xnat:mrSessionData'; date = '2024-02-03'; uid = '1.2.3'
                        scans = @(@{ id = '1'; type = 'T1' }, @{ id = '2'; type = 'T2' }) })
        pacs     = @(@{ id = 1; aeTitle = 'PACS'; defaultQueryRetrievePacs = $true
                        studies = @(@{ studyInstanceUid = '2.25.7'; patientId = 'H1'; patientName = 'DOE^JANE'; studyDate = '20240105'; studyId = 'RX7'
                                       series = @(@{ seriesInstanceUid = '2.25.7.1'; seriesNumber = '1'; modality = 'CT'; seriesDescription = 'AX' }) },
                                    @{ studyInstanceUid = '2.25.8'; patientId = 'H1'; patientName = 'DOE^JANE'; studyDate = '20230105'; accessionNumber = 'RX8'
                                       series = @(@{ seriesInstanceUid = '2.25.8.1'; seriesNumber = '1'; modality = 'MR' }, @{ seriesInstanceUid = '2.25.8.2'; seriesNumber = '2'; modality = 'MR' }) }) })
    }
    $script:basic = @{ Authorization = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('admin:pw')) }
    function Invoke-Xnat([string] $Path, [string] $Method = 'GET', [hashtable] $Headers = @{}, $Body) {
        $arguments = @{ Uri = "$($x.BaseUri)$Path"; Method = $Method; Headers = $Headers; SkipHttpErrorCheck = $true; UserAgent = 'HandiImaging-pester' }
        if ($null -ne $Body) { $arguments.Body = ($Body | ConvertTo-Json -Depth 10); $arguments.ContentType = 'application/json' }
        Invoke-WebRequest @arguments
    }
}

AfterAll {
    if ($x) { Stop-XnatDouble $x }
}

Describe 'Start-XnatDouble' {
    It 'serves the seed on a loopback URL and answers a missing login like XNAT' {
        $x.BaseUri | Should -Match '^http://127\.0\.0\.1:\d+$'
        $r = Invoke-Xnat '/data/projects/RT-HaND/experiments'
        $r.StatusCode | Should -Be 401
        $r.Headers['WWW-Authenticate'] | Should -Be 'Basic realm="XNAT"'
        $r.Headers['Content-Type'] | Should -BeLike 'text/html*'
    }

    It 'lists the seeded session per scan with one cookie session' {
        $login = Invoke-Xnat '/data/JSESSION' POST $basic
        $cookie = @{ Cookie = "JSESSIONID=$($login.Content)" }
        $csv = (Invoke-Xnat '/data/projects/RT-HaND/experiments?format=csv&columns=ID,label,UID,xnat:imagescandata/id' -Headers $cookie).Content | ConvertFrom-Csv
        $csv.Count | Should -Be 2
        $csv[0].UID | Should -Be '1.2.3'
        ($csv[0].PSObject.Properties.Name)[-1] | Should -Be 'URI'
        Get-XnatDoubleRequestCount $x -Endpoint 'GET /data/projects/{project}/experiments' | Should -Be 2
    }
}

Describe 'Invoke-XnatDoubleControl' {
    It 'switches a fault on for one request' {
        Invoke-XnatDoubleControl $x POST faults @{ pathPattern = '^/xapi/pacs$'; status = 500; times = 1 } | Out-Null
        (Invoke-Xnat '/xapi/pacs' -Headers $basic).StatusCode | Should -Be 500
        (Invoke-Xnat '/xapi/pacs' -Headers $basic).StatusCode | Should -Be 200
    }

    It 'steps an import through the DQR life cycle into an archived session' {
        Invoke-XnatDoubleControl $x DELETE sessions | Out-Null
        $login = Invoke-Xnat '/data/JSESSION' POST $basic
        $cookie = @{ Cookie = "JSESSIONID=$($login.Content)" }
        $queued = (Invoke-Xnat '/xapi/dqr/import' POST $cookie @{ pacsId = 1; aeTitle = 'XNAT'; port = 8104; projectId = 'RT-HaND'; studies = @(@{ studyInstanceUid = '2.25.7'; relabelMap = @{ Subject = 'NN_H1'; Session = 'RX7' } }) }).Content | ConvertFrom-Json
        $queued.status | Should -Be 'QUEUED'
        (Step-XnatDoubleDqr $x -UntilIdle).steps | Should -BeGreaterOrEqual 3
        $history = (Invoke-Xnat '/xapi/dqr/import/history' -Headers $cookie).Content | ConvertFrom-Json
        $history.status | Should -Be 'RECEIVED'
        $archived = Invoke-XnatDoubleControl $x GET 'experiments?project=RT-HaND'
        ($archived | Where-Object label -eq 'RX7').subjectLabel | Should -Be 'NN_H1'
    }

    It 'archives a PACS study straight away so XNAT and the PACS agree' {
        $archived = (Invoke-XnatDoubleControl $x POST archive @{ pacsId = 1; project = 'RT-HaND'; studyInstanceUid = '2.25.8'; subjectLabel = 'NN_H1'; label = 'RX8' }).archived
        $archived.label | Should -Be 'RX8'
        $archived.xsiType | Should -Be 'xnat:mrSessionData'
        @($archived.scans).Count | Should -Be 2
    }

    It 'reports live sessions and refuses a login beyond the cap' {
        Invoke-XnatDoubleControl $x DELETE sessions | Out-Null
        1..2 | ForEach-Object { (Invoke-Xnat '/data/JSESSION' POST $basic).StatusCode | Should -Be 200 }
        (Invoke-Xnat '/data/JSESSION' POST $basic).StatusCode | Should -Be 401
        @((Invoke-XnatDoubleControl $x GET sessions).live | Where-Object username -eq 'admin').Count | Should -Be 2
    }
}

Describe 'Stop-XnatDouble' {
    It 'ends the process' {
        $other = Start-XnatDouble
        $process = $other.Process
        $processId = $process.Id
        Stop-XnatDouble $other
        Get-Process -Id $processId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
