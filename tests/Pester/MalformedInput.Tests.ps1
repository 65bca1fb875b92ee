# The malformed-input table at the cmdlet level: each case gives a cmdlet a folder holding one bad file among good
# ones and asserts the ErrorId, the file, line and field the error names, and that no file changed and nothing was
# written beside them. tests/HandiImaging.Core.Tests/IO/MalformedInputTests.cs holds the Core half of the table.
BeforeDiscovery {
    . $PSScriptRoot/MalformedInput.Constants.ps1
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force

    . $PSScriptRoot/MalformedInput.Constants.ps1

    function script:New-CaseFolder([string] $Name, [hashtable] $Files) {
        $dir = Join-Path $TestDrive ($Name -replace '[^A-Za-z0-9]+', '-')
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        foreach ($file in $Files.Keys) {
            [System.IO.File]::WriteAllText((Join-Path $dir $file), ($Files[$file] -join "`r`n") + "`r`n", [System.Text.UTF8Encoding]::new($false))
        }
        $dir
    }

    # Every file (hidden ones, .bak and temp files included) and its hash; lock files guard, they hold no data.
    function script:Get-FolderState([string] $Dir) {
        Get-ChildItem -LiteralPath $Dir -Recurse -File -Force | Where-Object Name -NotLike '*.lock' | Sort-Object FullName |
            ForEach-Object { '{0} {1}' -f $_.FullName.Substring($Dir.Length), (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash }
    }

    function script:Get-SummaryFiles {
        $files = @{}
        foreach ($type in 'CT', 'MR', 'PET', 'CR', 'DX', 'RF', 'SR', 'XA') { $files["$type.csv"] = @($SessionHeader, '9434765919,2024-02-01,ACC1,1.2.3,4') }
        $files['reference_dates.csv'] = @('Subject,Reference Date', '9434765919,15/01/2024')
        $files['failures.csv'] = @($LedgerHeader, $LedgerRow)
        $files
    }
}

Describe 'Malformed input' {
    It '<Name>' -TestCases @(
        @{ Name = 'Import-Cohort: unterminated quote'; ErrorId = 'CohortFileUnreadable'; Code = 'UnterminatedQuote'; Bad = 'cohort.csv'; Line = 3; Field = $null
           Files = @{ 'cohort.csv' = @($CohortHeader, 'H1,9434765919,Existing,2024-06-03,,', 'H2,4010232137,New,,,"moved', 'H3,9434765870,New,,,') }
           Run = { param($d) Import-Cohort -LiteralPath "$d/cohort.csv" -AsOf 2025-01-06 -ErrorAction Stop } }
        @{ Name = 'Import-Cohort: month-first LastQueried'; ErrorId = 'InvalidCohortRow'; Code = 'InvalidDate'; Bad = 'cohort.csv'; Line = 2; Field = 'LastQueried'
           Files = @{ 'cohort.csv' = @($CohortHeader, 'H1,9434765919,Existing,12/31/2024,,') }
           Run = { param($d) Import-Cohort -LiteralPath "$d/cohort.csv" -AsOf 2025-01-06 -ErrorAction Stop } }
        @{ Name = 'Import-Cohort: header row missing'; ErrorId = 'CohortFileUnreadable'; Code = 'HeaderLooksLikeData'; Bad = 'cohort.csv'; Line = 1; Field = 'HospitalId'
           Files = @{ 'cohort.csv' = @('H1,9434765919,Existing,2024-06-03,,') }
           Run = { param($d) Import-Cohort -LiteralPath "$d/cohort.csv" -ErrorAction Stop } }
        @{ Name = 'Import-Cohort: Status named twice'; ErrorId = 'CohortFileUnreadable'; Code = 'DuplicateColumn'; Bad = 'cohort.csv'; Line = 1; Field = 'Status'
           Files = @{ 'cohort.csv' = @('HospitalId,Status,LastQueried,STATUS', 'H1,New,,New') }
           Run = { param($d) Import-Cohort -LiteralPath "$d/cohort.csv" -ErrorAction Stop } }
        @{ Name = 'Import-Cohort: LastQueried in the future'; ErrorId = 'InvalidCohortRow'; Code = 'DateOutOfRange'; Bad = 'cohort.csv'; Line = 2; Field = 'LastQueried'
           Files = @{ 'cohort.csv' = @($CohortHeader, 'H1,9434765919,Existing,2098-06-03,,') }
           Run = { param($d) Import-Cohort -LiteralPath "$d/cohort.csv" -ErrorAction Stop } }
        @{ Name = 'Import-Cohort: deceased extract with an unterminated quote'; ErrorId = 'DeceasedFileUnreadable'; Code = 'UnterminatedQuote'; Bad = 'deceased.csv'; Line = 2; Field = $null
           Files = @{ 'cohort.csv' = @($CohortHeader, 'H1,9434765919,New,,,'); 'deceased.csv' = @('Hospital Number,Date of Death', '"H1,01/02/2024', 'H2,03/02/2024') }
           Run = { param($d) Import-Cohort -LiteralPath "$d/cohort.csv" -DeceasedPath "$d/deceased.csv" -ErrorAction Stop } }
        @{ Name = 'Import-Cohort: month-first date of death'; ErrorId = 'InvalidDeceasedRow'; Code = 'InvalidDate'; Bad = 'deceased.csv'; Line = 2; Field = 'Date of Death'
           Files = @{ 'cohort.csv' = @($CohortHeader, 'H1,9434765919,New,,,'); 'deceased.csv' = @('Hospital Number,Date of Death', 'H1,12/31/2023') }
           Run = { param($d) Import-Cohort -LiteralPath "$d/cohort.csv" -DeceasedPath "$d/deceased.csv" -AsOf 2025-01-06 -ErrorAction Stop } }
        @{ Name = 'Update-Cohort: unterminated quote'; ErrorId = 'CohortFileUnreadable'; Code = 'UnterminatedQuote'; Bad = 'cohort.csv'; Line = 3; Field = $null
           Files = @{ 'cohort.csv' = @($CohortHeader, 'H1,9434765919,New,,,', 'H2,4010232137,New,,,"moved', 'H3,,New,,,') }
           Run = { param($d) 'H1' | Update-Cohort -LiteralPath "$d/cohort.csv" -AsOf 2025-01-06 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Update-Cohort: no LastQueried column'; ErrorId = 'CohortFileUnreadable'; Code = 'MissingColumn'; Bad = 'cohort.csv'; Line = 1; Field = 'LastQueried'
           Files = @{ 'cohort.csv' = @('HospitalId,NhsNumber,Status', 'H1,9434765919,New') }
           Run = { param($d) 'H1' | Update-Cohort -LiteralPath "$d/cohort.csv" -AsOf 2025-01-06 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Import-StudyRule: unterminated quote'; ErrorId = 'RulesFileUnreadable'; Code = 'UnterminatedQuote'; Bad = 'rules.csv'; Line = 2; Field = $null
           Files = @{ 'rules.csv' = @('Description,Decision,DecidedBy,DecidedOn,Note', 'CT Neck,Include,Dr A,2024-03-04,"see email', 'XR Chest,Exclude,,,') }
           Run = { param($d) Import-StudyRule -LiteralPath "$d/rules.csv" -ErrorAction Stop } }
        @{ Name = 'Import-StudyRule: month-first DecidedOn'; ErrorId = 'InvalidStudyRule'; Code = 'InvalidDate'; Bad = 'rules.csv'; Line = 2; Field = 'DecidedOn'
           Files = @{ 'rules.csv' = @('Description,Decision,DecidedBy,DecidedOn,Note', 'CT Neck,Include,Dr A,03/31/2024,') }
           Run = { param($d) Import-StudyRule -LiteralPath "$d/rules.csv" -ErrorAction Stop } }
        @{ Name = 'Import-StudyRule: unquoted comma in a description'; ErrorId = 'RulesFileUnreadable'; Code = 'WrongColumnCount'; Bad = 'rules.csv'; Line = 2; Field = $null
           Files = @{ 'rules.csv' = @('Description,Decision,DecidedBy,DecidedOn,Note', 'CT Neck, contrast,Include,Dr A,2024-03-04,') }
           Run = { param($d) Import-StudyRule -LiteralPath "$d/rules.csv" -ErrorAction Stop } }
        @{ Name = 'Update-StudyRule: rules CSV without DecidedOn'; ErrorId = 'RulesFileUnreadable'; Code = 'MissingColumn'; Bad = 'rules.csv'; Line = 1; Field = 'DecidedOn'
           Files = @{ 'rules.csv' = @('Description,Decision,DecidedBy', 'CT Neck,Include,Dr A'); 'review.csv' = @('Description,Decision,Note', 'MR Brain,Include,') }
           Run = { param($d) Update-StudyRule -LiteralPath "$d/rules.csv" -ReviewPath "$d/review.csv" -DecidedBy 'Dr B' -DecidedOn 2025-01-06 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Update-StudyRule: review CSV with an unterminated quote'; ErrorId = 'ReviewFileUnreadable'; Code = 'UnterminatedQuote'; Bad = 'review.csv'; Line = 2; Field = $null
           Files = @{ 'rules.csv' = @('Description,Decision,DecidedBy,DecidedOn,Note', 'CT Neck,Include,Dr A,2024-03-04,'); 'review.csv' = @('Description,Decision,Note', 'MR Brain,Include,"ask', 'CT Head,Exclude,') }
           Run = { param($d) Update-StudyRule -LiteralPath "$d/rules.csv" -ReviewPath "$d/review.csv" -DecidedBy 'Dr B' -DecidedOn 2025-01-06 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'ConvertFrom-IngestFailure: ID map without its header'; ErrorId = 'IdMapUnreadable'; Code = 'HeaderLooksLikeData'; Bad = 'HospitalID-NHSNumber.csv'; Line = 1; Field = 'HospitalID'
           Files = @{ 'HospitalID-NHSNumber.csv' = @('H1,9434765919'); 'failures.txt' = @('{"id":"H1","accessionNumber":"A1","studyDate":"20240201"}') }
           Run = { param($d) ConvertFrom-IngestFailure -LiteralPath "$d/failures.txt" -IdMapPath "$d/HospitalID-NHSNumber.csv" -ErrorAction Stop } }
        @{ Name = 'ConvertFrom-IngestFailure: a plain CSV row has no keys'; ErrorId = 'UnreadableFailureRecord'; Code = 'FailureRecordWithoutKeys'; Bad = 'failures.txt'; Line = 2; Field = $null
           Files = @{ 'failures.txt' = @('{"id":"H1","accessionNumber":"A1","studyDate":"20240201"}', 'H2,20240202,A2,CT Neck,1.2.4') }
           Run = { param($d) ConvertFrom-IngestFailure -LiteralPath "$d/failures.txt" -ErrorAction Stop } }
        @{ Name = 'Add-IngestFailure: ledger with an unterminated quote'; ErrorId = 'LedgerCorrupt'; Code = 'UnterminatedQuote'; Bad = 'ledger.csv'; Line = 2; Field = $null
           Files = @{ 'ledger.csv' = @($LedgerHeader, ($LedgerRow -replace 'CT Neck', '"CT Neck')) }
           Run = { param($d) [pscustomobject]@{ Subject = '9434765919'; StudyDate = '2024-05-01'; AccessionNumber = 'ACC9'; StudyInstanceUid = '9.9'; HospitalId = 'H1' } |
                   Add-IngestFailure -LedgerPath "$d/ledger.csv" -AsOf 2025-01-06 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Get-IngestFailure: month-first FirstSeen'; ErrorId = 'LedgerCorrupt'; Code = 'InvalidDate'; Bad = 'ledger.csv'; Line = 2; Field = 'FirstSeen'
           Files = @{ 'ledger.csv' = @($LedgerHeader, ($LedgerRow -replace '2024-03-01,2024-03-01', '12/31/2024,2024-03-01')) }
           Run = { param($d) Get-IngestFailure -LedgerPath "$d/ledger.csv" -ErrorAction Stop } }
        @{ Name = 'Update-IngestFailure: CT.csv with an unterminated quote'; ErrorId = 'SessionFileUnreadable'; Code = 'UnterminatedQuote'; Bad = 'CT.csv'; Line = 2; Field = $null
           Files = @{ 'ledger.csv' = @($LedgerHeader, $LedgerRow); 'CT.csv' = @($SessionHeader, '9434765919,2024-02-01,"ACC1,1.2.3,4', '4010232137,2024-02-02,ACC2,1.2.4,1') }
           Run = { param($d) Update-IngestFailure -LedgerPath "$d/ledger.csv" -SessionPath $d -AsOf 2025-01-06 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Update-IngestFailure: ledger columns out of order'; ErrorId = 'LedgerCorrupt'; Code = 'ColumnOutOfOrder'; Bad = 'ledger.csv'; Line = 1; Field = 'Subject'
           Files = @{ 'ledger.csv' = @(($LedgerHeader -replace 'Subject,StudyDate', 'StudyDate,Subject'), $LedgerRow); 'CT.csv' = @($SessionHeader, '9434765919,2024-02-01,ACC1,1.2.3,4') }
           Run = { param($d) Update-IngestFailure -LedgerPath "$d/ledger.csv" -SessionPath $d -AsOf 2025-01-06 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Merge-XnatSummary: CT.csv with an unterminated quote'; ErrorId = 'InvalidSummaryInput'; Code = 'UnterminatedQuote'; Bad = 'CT.csv'; Line = 2; Field = $null
           Replace = @{ 'CT.csv' = @($SessionHeader, '9434765919,2024-02-01,ACC1,"1.2.3,4', '4010232137,2024-02-02,ACC2,1.2.4,1') }
           Run = { param($d) Merge-XnatSummary -SessionPath $d -ReferenceDatePath "$d/reference_dates.csv" -FailurePath "$d/failures.csv" -OutputPath "$d/summary.csv" -ErrorAction Stop } }
        @{ Name = 'Merge-XnatSummary: two-column PET.csv'; ErrorId = 'InvalidSummaryInput'; Code = 'WrongColumnCount'; Bad = 'PET.csv'; Line = 1; Field = 'ID'
           Replace = @{ 'PET.csv' = @('Subject,Date', '9434765919,2024-02-01') }
           Run = { param($d) Merge-XnatSummary -SessionPath $d -ReferenceDatePath "$d/reference_dates.csv" -FailurePath "$d/failures.csv" -OutputPath "$d/summary.csv" -ErrorAction Stop } }
        @{ Name = 'Merge-XnatSummary: reference dates without their header'; ErrorId = 'InvalidSummaryInput'; Code = 'HeaderLooksLikeData'; Bad = 'reference_dates.csv'; Line = 1; Field = 'Subject'
           Replace = @{ 'reference_dates.csv' = @('9434765919,15/01/2024') }
           Run = { param($d) Merge-XnatSummary -SessionPath $d -ReferenceDatePath "$d/reference_dates.csv" -OutputPath "$d/summary.csv" -ErrorAction Stop } }
        @{ Name = 'Merge-XnatSummary: three-column failures file'; ErrorId = 'InvalidSummaryInput'; Code = 'WrongColumnCount'; Bad = 'failures.csv'; Line = 1; Field = 'StudyDescription'
           Replace = @{ 'failures.csv' = @('Subject,StudyDate,AccessionNumber', '9434765919,2024-02-01,ACC1') }
           Run = { param($d) Merge-XnatSummary -SessionPath $d -ReferenceDatePath "$d/reference_dates.csv" -FailurePath "$d/failures.csv" -OutputPath "$d/summary.csv" -ErrorAction Stop } }
        @{ Name = 'Merge-XnatSummary: unquoted comma in SR.csv'; ErrorId = 'InvalidSummaryInput'; Code = 'WrongColumnCount'; Bad = 'SR.csv'; Line = 2; Field = $null
           Replace = @{ 'SR.csv' = @('Subject,Date,XNAT_SRSESSIONDATA ID,ID,Creator', '9434765919,2024-02-01,ACC1,X,Smith, J') }
           Run = { param($d) Merge-XnatSummary -SessionPath $d -ReferenceDatePath "$d/reference_dates.csv" -OutputPath "$d/summary.csv" -ErrorAction Stop } }
        @{ Name = 'Test-NhsNumber: file without an NHS number column'; ErrorId = 'NhsNumberFileUnreadable'; Code = 'MissingColumn'; Bad = 'map.csv'; Line = 1; Field = 'NhsNumber'
           Files = @{ 'map.csv' = @('HospitalID,NHS', 'H1,9434765919') }
           Run = { param($d) Test-NhsNumber -LiteralPath "$d/map.csv" -ErrorAction Stop } }
        @{ Name = 'Test-NhsNumber: file with an unterminated quote'; ErrorId = 'NhsNumberFileUnreadable'; Code = 'UnterminatedQuote'; Bad = 'map.csv'; Line = 3; Field = $null
           Files = @{ 'map.csv' = @('HospitalID,NHSNumber', 'H1,9434765919', 'H2,"4010232137', 'H3,9434765870') }
           Run = { param($d) Test-NhsNumber -LiteralPath "$d/map.csv" -ErrorAction Stop } }
    ) {
        param($Name, $ErrorId, $Code, $Bad, $Line, $Field, $Files, $Replace, $Run)
        if ($Replace) { $Files = Get-SummaryFiles; foreach ($k in $Replace.Keys) { $Files[$k] = $Replace[$k] } }
        $dir = New-CaseFolder $Name $Files
        $before = Get-FolderState $dir

        $caught = $null
        try { $null = & $Run $dir 3>$null } catch { $caught = $_ }

        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $caught.Exception.Code | Should -Be $Code
        $caught.Exception.File | Should -Be (Join-Path $dir $Bad)
        $caught.Exception.Line | Should -Be $Line
        $caught.Exception.Field | Should -Be $Field
        $caught.Exception.Message | Should -BeLike "$(Join-Path $dir $Bad)*"
        Get-FolderState $dir | Should -Be $before
    }
}

Describe 'The one date rule at the prompt and in the pipeline' {
    BeforeAll {
        $script:Cohort = @($CohortHeader, 'H1,9434765919,New,,,', 'H2,4010232137,Existing,2024-06-03,,')
    }

    It '<Name> is refused before anything is read or written' -TestCases @(
        @{ Name = 'Update-Cohort -AsOf 12/31/2024 (month first)'; ErrorId = 'ParameterArgumentTransformationError'; Message = "'12/31/2024' is not a date in the form yyyy-MM-dd, yyyyMMdd or dd/MM/yyyy"
           Run = { param($d) 'H1' | Update-Cohort -LiteralPath "$d/cohort.csv" -AsOf 12/31/2024 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Update-Cohort -AsOf 2099-01-01 (the placeholder)'; ErrorId = 'DateOutOfRange'; Message = 'placeholder'
           Run = { param($d) 'H1' | Update-Cohort -LiteralPath "$d/cohort.csv" -AsOf 2099-01-01 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Update-Cohort -AsOf in the future'; ErrorId = 'DateOutOfRange'; Message = 'in the future'
           Run = { param($d) 'H1' | Update-Cohort -LiteralPath "$d/cohort.csv" -AsOf ([datetime]::Today.AddDays(30)) -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Import-Cohort -AsOf 31/02/2024 (no such day)'; ErrorId = 'ParameterArgumentTransformationError'; Message = "'31/02/2024' is not a date"
           Run = { param($d) Import-Cohort -LiteralPath "$d/cohort.csv" -AsOf 31/02/2024 -ErrorAction Stop } }
        @{ Name = 'Add-IngestFailure -AsOf next year'; ErrorId = 'DateOutOfRange'; Message = 'in the future'
           Run = { param($d) [pscustomobject]@{ AccessionNumber = 'A'; HospitalId = 'H1' } | Add-IngestFailure -LedgerPath "$d/ledger.csv" -AsOf ([datetime]::Today.AddYears(1)) -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Update-StudyRule -DecidedOn 2024.03.04'; ErrorId = 'ParameterArgumentTransformationError'; Message = 'dd/MM/yyyy'
           Run = { param($d) Update-StudyRule -LiteralPath "$d/rules.csv" -ReviewPath "$d/cohort.csv" -DecidedBy A -DecidedOn 2024.03.04 -Confirm:$false -ErrorAction Stop } }
    ) {
        param($Name, $ErrorId, $Message, $Run)
        $dir = New-CaseFolder $Name @{ 'cohort.csv' = $Cohort }
        $before = Get-FolderState $dir
        $caught = $null
        try { $null = & $Run $dir } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $caught.Exception.Message | Should -Match ([regex]::Escape($Message))
        Get-FolderState $dir | Should -Be $before
    }

    It 'reads a date typed at the prompt day first, whatever the culture' -TestCases @(@{ Culture = 'en-GB' }, @{ Culture = 'en-US' }, @{ Culture = 'de-DE' }) {
        param($Culture)
        $dir = New-CaseFolder "asof-$Culture" @{ 'cohort.csv' = $Cohort }
        $saved = [cultureinfo]::CurrentCulture
        try {
            [cultureinfo]::CurrentCulture = [cultureinfo]::new($Culture)
            'H1' | Update-Cohort -LiteralPath "$dir/cohort.csv" -AsOf 04/10/2024 -Confirm:$false
        } finally { [cultureinfo]::CurrentCulture = $saved }
        (Import-Csv -LiteralPath "$dir/cohort.csv")[0].LastQueried | Should -Be '2024-10-04'
    }

    It 'binds a piped Since day first and refuses a month-first one, naming it' {
        $rows = @([pscustomobject]@{ PatientId = 'P1'; Since = '01/08/2024'; To = '31/07/2024' }, [pscustomobject]@{ PatientId = 'P2'; Since = '12/31/2024' })
        $connection = New-PacsConnection -HostName 127.0.0.1 -Port 9 -CalledAeTitle NOBODY -CallingAeTitle HANDI
        # Only the binding is under test: a window that ends before it starts is refused before any query, and its
        # message shows the dates as bound (1 August, 31 July), so nothing reaches the (absent) PACS.
        $errors = $null
        $rows | Find-PacsStudy -Connection $connection -ErrorVariable errors -ErrorAction SilentlyContinue | Out-Null
        $errors | Should -HaveCount 2
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'InvalidStudyDateRange,*'
        $errors[0].Exception.Message | Should -Be 'The date range starts (2024-08-01) after it ends (2024-07-31).'
        $errors[1].FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentTransformationError,*'
        $errors[1].Exception.Message | Should -Match "'12/31/2024' is not a date in the form yyyy-MM-dd, yyyyMMdd or dd/MM/yyyy \(day first"
    }
}
