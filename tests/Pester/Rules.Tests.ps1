# Import-StudyRule, Select-RelevantStudy, Export-StudyReview and Update-StudyRule on TestDrive:.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../HandiImaging.psd1') -Force
    # The demo generator lives in Core, which the module loads on first use; load it now for its types.
    Add-Type -Path (Join-Path $PSScriptRoot '../../module/bin/HandiImaging.Core.dll')
    $script:list = [HandiImaging.Core.Demo.DemoRules]::Create(40, 60, 12)
    $script:workbook = (New-Item TestDrive:/rules -ItemType Directory -Force).FullName + '/study-descriptions.xlsx'
    [HandiImaging.Core.Demo.DemoRules]::WriteWorkbook($workbook, $list)

    function New-Study($Description, $Date = [datetime]'2024-11-05', $Accession = 'A1', $Modality = 'CT') {
        [HandiImaging.Core.Pacs.PacsStudy]@{ PatientId = 'H1'; StudyDescription = $Description; StudyDate = $Date; AccessionNumber = $Accession
            StudyInstanceUid = "1.2.3.$Accession"; ModalitiesInStudy = [string[]]@($Modality) }
    }
}

Describe 'Import-StudyRule' {
    It 'loads the clinicians workbook as it is, with the right counts, naming the first repeated rows and counting the rest' {
        $rules = Import-StudyRule -Path $workbook -WarningVariable warned -WarningAction SilentlyContinue -Verbose 4>&1 | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $verbose = Import-StudyRule -Path $workbook -WarningAction SilentlyContinue -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and "$_" -match 'repeats' }
        $rules | Should -BeOfType ([HandiImaging.Core.Rules.StudyRuleSet])
        $rules.IncludeCount | Should -Be 40
        $rules.ExcludeCount | Should -Be 60
        $rules.DuplicateCount | Should -Be $list.DuplicateCount
        $list.DuplicateCount | Should -BeGreaterThan 5
        $warned | Should -HaveCount 6
        "$($warned[0])" | Should -Match '(INCLUDE|EXCLUDE) row \d+ repeats (INCLUDE|EXCLUDE) row \d+'
        "$($warned[5])" | Should -Match "$($list.DuplicateCount - 5) more repeated rows ignored; -Verbose lists them"
        $verbose | Should -HaveCount ($list.DuplicateCount - 5)
    }

    It 'loads a CSV rules file from TestDrive: and shows its counts as a table' {
        Set-Content -LiteralPath TestDrive:/rules.csv -Value "Description,Decision,DecidedBy,DecidedOn,Note`r`nCT Neck,Include,,,`r`n(blank),Exclude,,,"
        $text = Import-StudyRule TestDrive:/rules.csv | Out-String
        $text | Should -Match 'Include\s+Exclude\s+Duplicates\s+Path'
        $text | Should -Match '1\s+1\s+0\s+'
    }

    It 'stops with StudyRuleConflict naming both rows when a description is on both lists' {
        Set-Content -LiteralPath TestDrive:/conflict.csv -Value "Description,Decision`r`nCT Neck,Include`r`nXR Chest,Exclude`r`n ct  NECK ,Exclude"
        $err = $null
        try { Import-StudyRule TestDrive:/conflict.csv -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'StudyRuleConflict,HandiImaging.Commands.ImportStudyRuleCommand'
        $err.Exception.Message | Should -Match "'CT Neck' \(INCLUDE, line 2\) and ' ct  NECK ' \(EXCLUDE, line 4\)"
    }

    It 'reports a bad CSV row as InvalidStudyRule and loads the rest' {
        Set-Content -LiteralPath TestDrive:/bad.csv -Value "Description,Decision`r`nCT Neck,Include`r`nXR Chest,Yes"
        $rules = Import-StudyRule TestDrive:/bad.csv -ErrorVariable bad -ErrorAction SilentlyContinue
        $rules.IncludeCount | Should -Be 1
        $bad.FullyQualifiedErrorId | Should -Be 'InvalidStudyRule,HandiImaging.Commands.ImportStudyRuleCommand'
        $bad.Exception.Message | Should -Match "bad\.csv, line 3, field 'Decision'"
    }

    It 'refuses a file that is neither xlsx nor csv with UnsupportedFileType' {
        Set-Content -LiteralPath TestDrive:/rules.txt -Value 'x'
        { Import-StudyRule TestDrive:/rules.txt -ErrorAction Stop } | Should -Throw -ErrorId 'UnsupportedFileType,HandiImaging.Commands.ImportStudyRuleCommand'
    }
}

Describe 'Select-RelevantStudy' {
    BeforeAll {
        $script:rules = Import-StudyRule $workbook -WarningAction SilentlyContinue
        $script:studies = @(
            New-Study $list.Include[0] -Accession A1
            New-Study " $($list.Include[1].ToUpper())  " -Accession A2
            New-Study $list.Exclude[0] -Accession A3
            New-Study $list.Unknown[0] -Accession A4
            New-Study $list.Unknown[0] -Accession A5
            New-Study $list.Unknown[1] -Accession A6
            New-Study $list.Include[0] -Date ([datetime]'2099-01-01') -Accession A7
        )
    }

    It 'passes on only the included studies by default, annotated' {
        $kept = $studies | Select-RelevantStudy -RuleSet $rules -WarningAction SilentlyContinue
        $kept.AccessionNumber | Should -Be @('A1', 'A2')
        $kept.Decision | Should -Be @('Include', 'Include')
        $kept[1].MatchedRule | Should -Be $list.Include[1]
    }

    It 'never includes a study dated 2099-01-01' {
        $placeholder = $studies[6] | Select-RelevantStudy -RuleSet $rules -Decision All
        $placeholder.Decision | Should -Be 'Exclude'
        $placeholder.MatchedRule | Should -Match '2099-01-01'
    }

    It 'raises one summary warning with the Review count and filters by -Decision' {
        $review = $studies | Select-RelevantStudy -RuleSet $rules -Decision Review -WarningVariable warned -WarningAction SilentlyContinue
        $review.AccessionNumber | Should -Be @('A4', 'A5', 'A6')
        $warned | Should -HaveCount 1
        "$warned" | Should -Match '^3 studies \(2 distinct descriptions\)'
        ($studies | Select-RelevantStudy -RuleSet $rules -Decision Include, Exclude -WarningAction SilentlyContinue).AccessionNumber | Should -Be @('A1', 'A2', 'A3', 'A7')
    }

    It 'takes Import-Csv rows by property name' {
        $csv = "StudyInstanceUid,PatientId,StudyDate,AccessionNumber,StudyDescription,ModalitiesInStudy`r`n" +
            "1.2.1,H1,20241105,B1,`"$($list.Include[2])`",CT\SR`r`n" +
            "1.2.2,H1,2099-01-01,B2,`"$($list.Include[2])`",CT`r`n" +
            "1.2.3,H2,05/11/2024,B3,$($list.Unknown[2]),MR"
        Set-Content -LiteralPath TestDrive:/studies.csv -Value $csv
        $all = Import-Csv -LiteralPath TestDrive:/studies.csv | Select-RelevantStudy -RuleSet $rules -Decision All -WarningAction SilentlyContinue
        $all | Should -HaveCount 3
        $all[0] | Should -BeOfType ([HandiImaging.Core.Pacs.PacsStudy])
        $all.Decision | Should -Be @('Include', 'Exclude', 'Review')
        $all[0].ModalitiesInStudy | Should -Be @('CT', 'SR')
        $all[2].StudyDate | Should -Be ([datetime]'2024-11-05')
    }

    It 'reports input that is not a study as NotAStudy' {
        $out = 'CT Neck', (New-Study 'x') | Select-RelevantStudy -RuleSet $rules -Decision All -ErrorVariable bad -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $out | Should -HaveCount 1
        $bad.FullyQualifiedErrorId | Should -Be 'NotAStudy,HandiImaging.Commands.SelectRelevantStudyCommand'
    }
}

Describe 'Export-StudyReview and Update-StudyRule' {
    BeforeEach {
        $script:rulesPath = (Resolve-Path TestDrive:/).ProviderPath + '/rules.xlsx'
        Copy-Item -LiteralPath $workbook -Destination $rulesPath -Force
        Remove-Item TestDrive:/rules.xlsx.bak, TestDrive:/review.* -ErrorAction SilentlyContinue
        $script:rules = Import-StudyRule $rulesPath -WarningAction SilentlyContinue
        $script:studies = @(
            New-Study $list.Include[0] -Accession A1
            New-Study $list.Unknown[0] -Accession A2 -Date ([datetime]'2024-10-01')
            New-Study $list.Unknown[0].ToLower() -Accession A3 -Modality PT
            New-Study $list.Unknown[1] -Accession A4 -Modality MR
            New-Study $list.Unknown[2] -Accession A5 -Modality US
        )
    }

    It 'writes nothing with -WhatIf' {
        $studies | Select-RelevantStudy -RuleSet $rules -Decision Review -WarningAction SilentlyContinue | Export-StudyReview -Path TestDrive:/review.xlsx -WhatIf
        'TestDrive:/review.xlsx' | Should -Not -Exist
        Set-Content -LiteralPath TestDrive:/review.csv -Value "Description,Decision`r`n$($list.Unknown[0]),Include"
        $before = (Get-FileHash $rulesPath).Hash
        Update-StudyRule -Path $rulesPath -ReviewPath TestDrive:/review.csv -DecidedBy 'Dr A' -WhatIf
        (Get-FileHash $rulesPath).Hash | Should -Be $before
        'TestDrive:/rules.xlsx.bak' | Should -Not -Exist
    }

    It 'round-trips: export, the clinician decides in Excel, update, re-classify' {
        $items = $studies | Export-StudyReview -Path TestDrive:/review.xlsx -RuleSet $rules -PassThru
        $items | Should -HaveCount 3
        $items[0].Count | Should -Be 2
        $items[0].Modalities | Should -Be 'CT, PT'
        $items[0].FirstDate | Should -Be ([datetime]'2024-10-01')
        ($items | Out-String) | Should -Match 'Count\s+Modalities\s+FirstDate\s+LastDate\s+ExampleAccession\s+Description'
        'TestDrive:/review.xlsx' | Should -Exist

        # The clinician's answers, as a CSV review (the xlsx path is covered in xUnit): two decided, one left.
        $items | Select-Object Description, Count, @{ n = 'Decision'; e = { switch ($_.Description) { $list.Unknown[0] { 'Include' } $list.Unknown[1] { 'Exclude' } default { '' } } } } |
            Export-Csv -LiteralPath TestDrive:/review.csv -NoTypeInformation
        $added = Update-StudyRule -Path $rulesPath -ReviewPath TestDrive:/review.csv -DecidedBy 'Dr A Clinician' -DecidedOn 2025-01-10 -WarningVariable warned -WarningAction SilentlyContinue
        $added | Should -HaveCount 2
        $added[0].DecidedBy | Should -Be 'Dr A Clinician'
        ($added | Out-String) | Should -Match 'Include\s+Dr A Clinician\s+2025-01-10\s+INCLUDE row \d+'
        "$warned" | Should -Match '1 descriptions have no decision yet'
        'TestDrive:/rules.xlsx.bak' | Should -Exist

        $again = Import-StudyRule $rulesPath -WarningAction SilentlyContinue
        $again.IncludeCount | Should -Be ($rules.IncludeCount + 1)
        ($studies | Select-RelevantStudy -RuleSet $again -Decision All -WarningAction SilentlyContinue).Decision |
            Should -Be @('Include', 'Include', 'Include', 'Exclude', 'Review')
    }

    It 'reports a decision contradicting a rule as DecisionContradictsRule and writes nothing for it' {
        Set-Content -LiteralPath TestDrive:/review.csv -Value "Description,Decision`r`n`"$($list.Include[0])`",Exclude`r`n`"$($list.Unknown[3])`",Maybe"
        $added = Update-StudyRule -Path $rulesPath -ReviewPath TestDrive:/review.csv -DecidedBy 'Dr A' -ErrorVariable bad -ErrorAction SilentlyContinue
        $added | Should -BeNullOrEmpty
        $bad.FullyQualifiedErrorId | Sort-Object | Should -Be @('DecisionContradictsRule,HandiImaging.Commands.UpdateStudyRuleCommand', 'InvalidReviewDecision,HandiImaging.Commands.UpdateStudyRuleCommand')
        'TestDrive:/rules.xlsx.bak' | Should -Not -Exist
        (Import-StudyRule $rulesPath -WarningAction SilentlyContinue).IncludeCount | Should -Be $rules.IncludeCount
    }

    It 'creates a CSV rules file on first use' {
        Set-Content -LiteralPath TestDrive:/review.csv -Value "Description,Decision`r`nCT Neck,Include"
        Update-StudyRule -Path TestDrive:/new-rules.csv -ReviewPath TestDrive:/review.csv -DecidedBy 'Dr A' -DecidedOn 2025-03-01 | Out-Null
        Get-Content -LiteralPath TestDrive:/new-rules.csv | Should -Be @('Description,Decision,DecidedBy,DecidedOn,Note', 'CT Neck,Include,Dr A,2025-03-01,')
    }

    It 'fails with <Id> when <Case>' -ForEach @(
        @{ Case = 'the review file is missing'; Id = 'PathNotFound'; Review = 'TestDrive:/none.csv' }
        @{ Case = 'the review has no Decision column'; Id = 'ReviewFileUnreadable'; Review = 'TestDrive:/review.csv'; Content = "Description`r`nCT Neck" }
        @{ Case = 'the rules workbook does not exist'; Id = 'PathNotFound'; Review = 'TestDrive:/review.csv'; Content = "Description,Decision"; RulesFile = 'TestDrive:/missing.xlsx' }
    ) {
        if ($Content) { Set-Content -LiteralPath TestDrive:/review.csv -Value $Content }
        $target = if ($RulesFile) { $RulesFile } else { $rulesPath }
        { Update-StudyRule -Path $target -ReviewPath $Review -DecidedBy 'Dr A' -ErrorAction Stop } | Should -Throw -ErrorId "$Id,HandiImaging.Commands.UpdateStudyRuleCommand"
    }

    It 'refuses a review file that is neither xlsx nor csv' {
        { New-Study 'x' | Export-StudyReview -Path TestDrive:/review.txt -ErrorAction Stop } | Should -Throw -ErrorId 'UnsupportedFileType,HandiImaging.Commands.ExportStudyReviewCommand'
    }
}
