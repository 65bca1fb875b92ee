<#
.SYNOPSIS
    Runs the quarterly "Updating from PACS" procedure on built-in demo data.
.DESCRIPTION
    Generates a deterministic synthetic quarter (cohort, clinicians' include/exclude workbook, XNAT's eight
    session exports, reference dates, the hospital-ID map and the ingestion team's failure text), then runs the
    procedure on it step by step, the way an admin would at the prompt:

      1. check the ID map's NHS numbers;
      2. import the cohort (query windows; deceased patients left out);
      3. start a real PACS (dcmtk's dcmqrscp) holding the cohort's studies, and query it per patient;
      4. keep the relevant studies against the include/exclude list; export the unknown descriptions for review;
      5. read the failure text into the failure ledger; resolve ledger rows now in XNAT;
      6. merge sessions, reference dates and open failures into the master summary for the EDW;
      7. record the successfully queried patients in the cohort.

    Every output lands under -Path; the script prints where.
#>
[CmdletBinding()]
param(
    [string] $Path = (Join-Path $PSScriptRoot '../demo-output'),
    [int] $Subjects = 300,
    [int] $Seed = 1
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../HandiImaging.psd1') -Force
Import-Module (Join-Path $PSScriptRoot 'DemoPacs.psm1') -Force

if (Test-Path $Path) { Remove-Item $Path -Recurse -Force }
$demo = New-HandiDemoData -Path (Join-Path $Path 'quarter') -Subjects $Subjects -Seed $Seed
$out = New-Item -ItemType Directory -Path (Join-Path $Path 'outputs') -Force
$quarter = $demo.Path
function Step([string] $text) { Write-Host "`n== $text" }

Step 'Checking NHS numbers in the ID map'
$checks = Import-Csv (Join-Path $quarter 'HospitalID-NHSNumber.csv') | Where-Object NHSNumber | Test-NhsNumber
"{0} NHS numbers checked, {1} invalid" -f @($checks).Count, @($checks | Where-Object { -not $_.IsValid }).Count

Step 'Importing the cohort'
$patients = Import-Cohort -Path (Join-Path $quarter 'cohort.csv') -DeceasedPath (Join-Path $quarter 'deceased.csv') -AsOf $demo.AsOf
$patients | Group-Object Status | ForEach-Object { "{0} {1} patients" -f $_.Count, $_.Name }

Step 'Querying PACS (dcmqrscp with the demo studies)'
$pacs = $null
if (Get-Command dcmqrscp -CommandType Application -ErrorAction SilentlyContinue) {
    $pacs = Start-DemoPacs -Path (Join-Path $Path 'pacs') -Study (Import-Csv (Join-Path $quarter 'pacs-studies.csv'))
}
else {
    Write-Warning 'dcmtk is not installed (apt-get install -y dcmtk): skipping the PACS steps.'
}
try {
    if ($pacs) {
        $connection = New-PacsConnection -HostName $pacs.HostName -Port $pacs.Port -CalledAeTitle $pacs.AeTitle -CallingAeTitle HANDI
        Test-PacsConnection $connection | Format-Table | Out-Host
        $studies = $patients | Find-PacsStudy -Connection $connection -ResolveModality -AsOf $demo.AsOf -ErrorVariable notQueried
        "{0} studies found for {1} patients ({2} patients could not be queried)" -f @($studies).Count, @($patients).Count, @($notQueried).Count

        Step 'Selecting relevant studies'
        $rules = Import-StudyRule -Path (Join-Path $quarter 'study-descriptions.xlsx')
        $rules | Format-Table | Out-Host
        $classified = $studies | Select-RelevantStudy -RuleSet $rules -Decision All -WarningAction SilentlyContinue
        $classified | Group-Object Decision | ForEach-Object { "{0} {1}" -f $_.Count, $_.Name }
        $classified | Where-Object Decision -eq Include | Export-Csv (Join-Path $out 'studies-to-ingest.csv') -NoTypeInformation
        $classified | Where-Object Decision -eq Review | Export-StudyReview -Path (Join-Path $out 'review.xlsx')

        Step 'Recording the queried patients in the cohort'
        $failedIds = @($notQueried | ForEach-Object TargetObject)
        Copy-Item (Join-Path $quarter 'cohort.csv') (Join-Path $out 'cohort.csv')
        $patients | Where-Object PatientId -notin $failedIds | Update-Cohort -Path (Join-Path $out 'cohort.csv') -AsOf $demo.AsOf
    }

    Step 'Reading ingestion failures into the ledger'
    $ledger = Join-Path $out 'failure-ledger.csv'
    $failures = ConvertFrom-IngestFailure -Path (Join-Path $quarter 'PACs-failures.txt') -IdMapPath (Join-Path $quarter 'HospitalID-NHSNumber.csv') -WarningAction SilentlyContinue
    "{0} failures read" -f @($failures).Count
    $failures | Add-IngestFailure -LedgerPath $ledger | Out-Null
    Update-IngestFailure -LedgerPath $ledger -SessionPath $quarter | Out-Null
    Get-IngestFailure -LedgerPath $ledger | Group-Object Status | ForEach-Object { "{0} {1} failures in the ledger" -f $_.Count, $_.Name }

    Step 'Merging the master summary for the EDW'
    $summary = Merge-XnatSummary -SessionPath $quarter -ReferenceDatePath (Join-Path $quarter 'reference_dates.csv') `
        -FailurePath $ledger -OutputPath (Join-Path $out 'master-summary.csv') -WarningAction SilentlyContinue
    $summary | Format-List | Out-Host
}
finally {
    if ($pacs) { Stop-DemoPacs $pacs }
}

Step 'Done'
"Demo inputs:  $quarter"
"Demo outputs: $($out.FullName)"
Get-ChildItem $out | ForEach-Object { "  $($_.Name)" }
