@{
    RootModule           = 'module/bin/HandiImaging.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0d3c1e-5b7a-4f0e-9d1c-2a8e4b7c9d10'
    Author               = 'HandiImaging'
    CompanyName          = 'HandiImaging'
    Copyright            = '(c) HandiImaging. All rights reserved.'
    Description          = 'Keeps the RT-HaND XNAT imaging project in step with the hospital PACS: query, select, ingest, failure ledger, session summaries and the EDW master spreadsheet.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @(
        'module/formats/HandiImaging.Cohort.Format.ps1xml'
        'module/formats/HandiImaging.Failures.Format.ps1xml'
        'module/formats/HandiImaging.Pacs.Format.ps1xml'
        'module/formats/HandiImaging.Rules.Format.ps1xml'
        'module/formats/HandiImaging.Runbook.Format.ps1xml'
        'module/formats/HandiImaging.Summary.Format.ps1xml'
        'module/formats/HandiImaging.Warehouse.Format.ps1xml'
        'module/formats/HandiImaging.Xnat.Format.ps1xml'
    )
    CmdletsToExport      = @(
        'Add-IngestFailure'
        'ConvertFrom-IngestFailure'
        'Export-StudyReview'
        'Find-PacsStudy'
        'Get-IngestFailure'
        'Import-Cohort'
        'Import-StudyRule'
        'Invoke-HandiPacsUpdate'
        'Measure-IngestFailureRate'
        'Merge-XnatSummary'
        'New-HandiDemoData'
        'New-PacsConnection'
        'Publish-EdwSummary'
        'Select-RelevantStudy'
        'Send-PacsStudy'
        'Test-NhsNumber'
        'Test-PacsConnection'
        'Update-Cohort'
        'Update-IngestFailure'
        'Update-StudyRule'
        'Connect-Xnat'
        'Disconnect-Xnat'
        'Export-XnatSessionSummary'
        'Get-XnatSession'
        'Request-XnatImport'
        'Wait-XnatImport'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags = @('XNAT', 'PACS', 'DICOM', 'Imaging', 'Research')
        }
    }
}
