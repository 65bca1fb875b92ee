<#
    A small real PACS for the demo and the Pester suites: dcmtk's dcmqrscp (or Orthanc, optionally capped) on
    127.0.0.1 and a free port, loaded with studies written as DICOM files (Secondary Capture, one tiny 8x8 image
    per series). Needs the Debian package dcmtk (dcmqrscp, dump2dcm, storescu, echoscu); Orthanc needs orthanc.
#>
Set-StrictMode -Version 3.0

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Assert-Dcmtk {
    foreach ($tool in 'dcmqrscp', 'dump2dcm', 'storescu', 'echoscu') {
        if (-not (Get-Command $tool -CommandType Application -ErrorAction SilentlyContinue)) {
            throw "The demo PACS needs dcmtk's $tool. On Debian: apt-get install -y dcmtk"
        }
    }
}

function Invoke-Dcmtk([string] $Tool, [string[]] $Arguments) {
    $output = & $Tool @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$Tool failed ($LASTEXITCODE): $($output -join "`n")" }
}

function Write-DemoDicomFile {
    <# Writes one instance of a study as a DICOM file through dump2dcm (UTF-8 text, ISO_IR 192). #>
    param([Parameter(Mandatory)] $Study, [int] $Series, [Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [string] $WorkPath)
    $modality = if ($Study.PSObject.Properties['Modality'] -and $Study.Modality) { $Study.Modality } else { 'OT' }
    $pixels = (@('00') * 64) -join '\'
    $dump = @"
(0008,0005) CS [ISO_IR 192]
(0008,0016) UI [1.2.840.10008.5.1.4.1.1.7]
(0008,0018) UI [$($Study.StudyInstanceUid).$Series.1]
(0008,0020) DA [$($Study.StudyDate)]
(0008,0030) TM [120000]
(0008,0050) SH [$($Study.AccessionNumber)]
(0008,0060) CS [$modality]
(0008,0064) CS [WSD]
(0008,1030) LO [$($Study.StudyDescription)]
(0010,0010) PN [$($Study.PatientName)]
(0010,0020) LO [$($Study.PatientId)]
(0020,000d) UI [$($Study.StudyInstanceUid)]
(0020,000e) UI [$($Study.StudyInstanceUid).$Series]
(0020,0010) SH [1]
(0020,0011) IS [$Series]
(0020,0013) IS [1]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 8
(0028,0011) US 8
(0028,0100) US 8
(0028,0101) US 8
(0028,0102) US 7
(0028,0103) US 0
(7fe0,0010) OB $pixels
"@
    $dumpFile = Join-Path $WorkPath ([IO.Path]::GetFileNameWithoutExtension($Path) + '.txt')
    [IO.File]::WriteAllText($dumpFile, $dump, [Text.UTF8Encoding]::new($false))
    Invoke-Dcmtk dump2dcm @('+te', $dumpFile, $Path)
}

function Start-DemoPacs {
    <#
    .SYNOPSIS
        Starts dcmqrscp on 127.0.0.1 and a free port, loaded with the given studies.
    .PARAMETER Study
        Objects with PatientId, PatientName, StudyDate (yyyyMMdd), AccessionNumber, StudyDescription,
        StudyInstanceUid and optionally Modality and SeriesCount.
    .PARAMETER MoveDestination
        Hashtable of AE title -> port on 127.0.0.1 that the PACS may send studies to (C-MOVE).
    .OUTPUTS
        An object with HostName, Port, AeTitle, Path and Process; stop it with Stop-DemoPacs.
    #>
    param(
        [Parameter(Mandatory)] [string] $Path,
        [object[]] $Study = @(),
        [string] $AeTitle = 'QRSCP',
        [string[]] $CallingAeTitle = @('HANDI'),
        [hashtable] $MoveDestination = @{}
    )
    Assert-Dcmtk
    # dcmqrscp keeps at most 500 studies in a storage area and silently deletes the oldest beyond that.
    if (@($Study).Count -gt 500) { throw "The demo PACS holds at most 500 studies (dcmqrscp's limit per storage area); $(@($Study).Count) given." }
    $env:TCP_NODELAY = '1'   # Debian's dcmtk leaves Nagle on: ~100 ms per exchange otherwise.
    $root = New-Item -ItemType Directory -Path $Path -Force
    $storage = New-Item -ItemType Directory -Path (Join-Path $root 'storage') -Force
    $incoming = New-Item -ItemType Directory -Path (Join-Path $root 'incoming') -Force
    $port = Get-FreeTcpPort

    $hosts = [System.Collections.Generic.List[string]]::new()
    $names = [System.Collections.Generic.List[string]]::new()
    $i = 0
    foreach ($ae in $CallingAeTitle) { $i++; $hosts.Add("caller$i = ($ae, 127.0.0.1, 1)"); $names.Add("caller$i") }
    foreach ($ae in $MoveDestination.Keys) { $i++; $hosts.Add("dest$i = ($ae, 127.0.0.1, $($MoveDestination[$ae]))"); $names.Add("dest$i") }
    $config = @"
NetworkTCPPort  = $port
MaxPDUSize      = 16384
MaxAssociations = 16

HostTable BEGIN
$($hosts -join "`n")
demopeers = $($names -join ', ')
HostTable END

VendorTable BEGIN
VendorTable END

AETable BEGIN
$AeTitle $($storage.FullName) RW (500, 1024mb) ANY
AETable END
"@
    $configFile = Join-Path $root 'dcmqrscp.cfg'
    Set-Content -LiteralPath $configFile -Value $config -Encoding ascii

    $process = $null
    $process = Start-Process -FilePath (Get-Command dcmqrscp -CommandType Application | Select-Object -First 1).Source -ArgumentList @('-c', $configFile) `
        -PassThru -RedirectStandardOutput (Join-Path $root 'dcmqrscp.out') -RedirectStandardError (Join-Path $root 'dcmqrscp.err')
    $pacs = [pscustomobject]@{ HostName = '127.0.0.1'; Port = $port; AeTitle = $AeTitle; Path = $root.FullName; Process = $process }
    try { Initialize-DemoPeer -Name dcmqrscp -Process $process -AeTitle $AeTitle -Port $port -CallingAeTitle $CallingAeTitle[0] -Study $Study -Incoming $incoming -TimeoutSeconds 15 }
    catch {
        Stop-DemoPacs $pacs
        throw
    }
    $pacs
}

function Initialize-DemoPeer {
    # Waits until a just-started peer answers C-ECHO, then stores the studies into it (one file per series).
    param([string] $Name, $Process, [string] $AeTitle, [int] $Port, [string] $CallingAeTitle, $Study, [string] $Incoming, [int] $TimeoutSeconds)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        & echoscu -aec $AeTitle -aet $CallingAeTitle 127.0.0.1 $Port 2>&1 | Out-Null
        if ($LASTEXITCODE -eq 0) { break }
        if ($Process.HasExited -or [DateTime]::UtcNow -gt $deadline) { throw "$Name did not start on port $Port (see $(Split-Path $Incoming))" }
        Start-Sleep -Milliseconds 100
    }
    $files = foreach ($s in $Study) {
        $series = if ($s.PSObject.Properties['SeriesCount'] -and $s.SeriesCount) { [int]$s.SeriesCount } else { 1 }
        foreach ($n in 1..$series) {
            $file = Join-Path $Incoming "$($s.StudyInstanceUid).$n.dcm"
            Write-DemoDicomFile -Study $s -Series $n -Path $file -WorkPath $Incoming
            $file
        }
    }
    if ($files) { Invoke-Dcmtk storescu (@('-aec', $AeTitle, '-aet', $CallingAeTitle, '127.0.0.1', "$Port") + @($files)) }
}

function Get-ChildProcessId([int] $ParentId) {
    # dcmqrscp forks one child per association; on Linux /proc tells whose child a process is.
    if (-not (Test-Path /proc)) { return }
    foreach ($stat in Get-ChildItem /proc -Directory -ErrorAction SilentlyContinue | Where-Object Name -match '^\d+$') {
        $text = Get-Content -LiteralPath (Join-Path $stat.FullName 'stat') -Raw -ErrorAction SilentlyContinue
        # The command name (field 2) is in parentheses and may hold spaces: the parent PID is the 2nd field after it.
        if ($text -and $text.Substring($text.LastIndexOf(')') + 2).Split(' ')[1] -eq "$ParentId") { [int]$stat.Name }
    }
}

function Stop-DemoPacs {
    <#
    .SYNOPSIS
        Stops a PACS started by Start-DemoPacs (and the processes serving its open associations) and waits for it to exit.
    #>
    param([Parameter(Mandatory, ValueFromPipeline)] $Pacs)
    process {
        if ($Pacs.Process -and -not $Pacs.Process.HasExited) {
            $children = @(Get-ChildProcessId $Pacs.Process.Id)
            $Pacs.Process.Kill()
            $Pacs.Process.WaitForExit(10000) | Out-Null
            foreach ($id in $children) {
                $child = Get-Process -Id $id -ErrorAction SilentlyContinue
                if ($child) { $child.Kill(); $child.WaitForExit(5000) | Out-Null }
            }
        }
    }
}

function Start-DemoOrthanc {
    <#
    .SYNOPSIS
        Starts Orthanc (/usr/sbin/Orthanc) on 127.0.0.1 with free DICOM and HTTP ports, loaded with the given studies.
    .DESCRIPTION
        The PowerShell counterpart of tests/HandiImaging.TestPeers' OrthancPeer: loopback only, no plugins, its own
        storage under Path. Callers not in CallingAeTitle are aborted (Orthanc's DicomModalities). With
        LimitFindResults set, Orthanc stops each C-FIND answer after that many matches (status 0xFE00), as a capped
        PACS does, so a client must split its query to get everything.
    .PARAMETER Study
        Objects as for Start-DemoPacs.
    .PARAMETER LimitFindResults
        Orthanc's C-FIND cap (0 = none).
    .OUTPUTS
        An object with HostName, Port, HttpPort, AeTitle, Path and Process; stop it with Stop-DemoOrthanc.
    #>
    param(
        [Parameter(Mandatory)] [string] $Path,
        [object[]] $Study = @(),
        [string] $AeTitle = 'ORTHANC',
        [string[]] $CallingAeTitle = @('HANDI'),
        [int] $LimitFindResults = 0
    )
    Assert-Dcmtk
    if (-not (Test-Path -LiteralPath '/usr/sbin/Orthanc')) { throw 'The demo Orthanc needs /usr/sbin/Orthanc. On Debian: apt-get install -y orthanc' }
    $env:TCP_NODELAY = '1'
    $root = New-Item -ItemType Directory -Path $Path -Force
    $incoming = New-Item -ItemType Directory -Path (Join-Path $root 'incoming') -Force
    $port = Get-FreeTcpPort
    $httpPort = Get-FreeTcpPort
    $modalities = [ordered]@{}
    foreach ($ae in $CallingAeTitle) { $modalities[$ae.ToLowerInvariant()] = @($ae, '127.0.0.1', 104) }
    $config = [ordered]@{
        Name = 'HandiImagingDemo'; StorageDirectory = (Join-Path $root.FullName 'storage'); IndexDirectory = (Join-Path $root.FullName 'index')
        Plugins = @(); HttpPort = $httpPort; DicomPort = $port; DicomAet = $AeTitle; RemoteAccessAllowed = $false; AuthenticationEnabled = $false
        DicomCheckCalledAet = $true; DicomModalities = $modalities; LimitFindResults = $LimitFindResults; StorageCompression = $false; SaveJobs = $false
    }
    $configFile = Join-Path $root 'orthanc.json'
    Set-Content -LiteralPath $configFile -Value ($config | ConvertTo-Json -Depth 5) -Encoding utf8NoBOM
    $process = Start-Process -FilePath '/usr/sbin/Orthanc' -ArgumentList @($configFile) -PassThru `
        -RedirectStandardOutput (Join-Path $root 'orthanc.out') -RedirectStandardError (Join-Path $root 'orthanc.err')
    $orthanc = [pscustomobject]@{ HostName = '127.0.0.1'; Port = $port; HttpPort = $httpPort; AeTitle = $AeTitle; Path = $root.FullName; Process = $process }
    try { Initialize-DemoPeer -Name Orthanc -Process $process -AeTitle $AeTitle -Port $port -CallingAeTitle $CallingAeTitle[0] -Study $Study -Incoming $incoming -TimeoutSeconds 30 }
    catch {
        Stop-DemoOrthanc $orthanc
        throw
    }
    $orthanc
}

function Stop-DemoOrthanc {
    <# Stops an Orthanc started by Start-DemoOrthanc and waits for it to exit (its storage is scratch: no clean shut-down needed). #>
    param([Parameter(Mandatory, ValueFromPipeline)] $Orthanc)
    process {
        if ($Orthanc.Process -and -not $Orthanc.Process.HasExited) {
            $Orthanc.Process.Kill()
            $Orthanc.Process.WaitForExit(10000) | Out-Null
        }
    }
}

function Start-DemoReceiver {
    <#
    .SYNOPSIS
        Starts dcmtk's storescp on 127.0.0.1 and a free port as a C-MOVE destination (standing in for XNAT's DICOM receiver).
    .DESCRIPTION
        Every received instance is written under Path/received with a unique file name, so a study sent twice shows
        as twice its instances.
    .OUTPUTS
        An object with AeTitle, Port, Path (the received files) and Process; stop it with Stop-DemoReceiver.
    #>
    param([Parameter(Mandatory)] [string] $Path, [string] $AeTitle = 'XNAT', [int] $Port)
    Assert-Dcmtk
    $received = New-Item -ItemType Directory -Path (Join-Path $Path 'received') -Force
    $port = if ($Port) { $Port } else { Get-FreeTcpPort }
    $env:TCP_NODELAY = '1'
    $process = Start-Process -FilePath (Get-Command storescp -CommandType Application | Select-Object -First 1).Source `
        -ArgumentList @('-aet', $AeTitle, '+uf', '-od', $received.FullName, "$port") -PassThru `
        -RedirectStandardOutput (Join-Path $Path 'storescp.out') -RedirectStandardError (Join-Path $Path 'storescp.err')
    $receiver = [pscustomobject]@{ AeTitle = $AeTitle; Port = $port; Path = $received.FullName; Process = $process }
    $deadline = [DateTime]::UtcNow.AddSeconds(15)
    while ($true) {
        & echoscu -aec $AeTitle -aet PROBE 127.0.0.1 $port 2>&1 | Out-Null
        if ($LASTEXITCODE -eq 0) { break }
        if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) { Stop-DemoReceiver $receiver; throw "storescp did not start on port $port (see $Path)" }
        Start-Sleep -Milliseconds 100
    }
    $receiver
}

function Stop-DemoReceiver {
    <# Stops a receiver started by Start-DemoReceiver. #>
    param([Parameter(Mandatory, ValueFromPipeline)] $Receiver)
    process {
        if ($Receiver.Process -and -not $Receiver.Process.HasExited) {
            $Receiver.Process.Kill()
            $Receiver.Process.WaitForExit(10000) | Out-Null
        }
    }
}

Export-ModuleMember -Function Start-DemoPacs, Stop-DemoPacs, Start-DemoOrthanc, Stop-DemoOrthanc, Start-DemoReceiver, Stop-DemoReceiver, Get-FreeTcpPort
