<#
.SYNOPSIS
    Prints how long Import-Module HandiImaging takes in a fresh process (median of several runs).
#>
param([int] $Runs = 7)
$ErrorActionPreference = 'Stop'
$manifest = (Resolve-Path (Join-Path $PSScriptRoot '../HandiImaging.psd1')).ProviderPath
$pwsh = Join-Path $PSHOME 'pwsh.dll'
$times = foreach ($i in 1..$Runs) {
    $ms = & dotnet $pwsh -NoProfile -NonInteractive -Command "`$s = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$manifest'; `$null = Get-Command -Module HandiImaging; `$s.Elapsed.TotalMilliseconds"
    [double]::Parse(($ms | Select-Object -Last 1), [Globalization.CultureInfo]::InvariantCulture)
}
$sorted = $times | Sort-Object
$median = $sorted[[int][math]::Floor($Runs / 2)]
"import-module: median {0:F0} ms over {1} fresh processes (min {2:F0} ms, max {3:F0} ms); target < 500 ms" -f $median, $Runs, $sorted[0], $sorted[-1]
