# HandiImaging runbook configuration (Invoke-HandiPacsUpdate -ConfigPath <this file>).
#
# A PowerShell data file: read like Import-PowerShellDataFile, so only constants are allowed (no variables,
# no $env:, no commands). Relative paths are relative to this file's folder. Dates and numbers are invariant.
# Never put a password or secret here: a key such as Password or Secret makes the runbook refuse the file.
# The XNAT credential comes from -Credential or from a file written by Export-Clixml (Xnat.CredentialPath).
@{
    # The hospital PACS. Both AE titles must be registered on the PACS (it answers only titles it knows).
    Pacs = @{
        HostName           = 'pacs.example.nhs.uk'
        Port               = 104
        CalledAeTitle      = 'SECTRA'        # the PACS's own AE title
        CallingAeTitle     = 'HANDI'         # ours, as registered on the PACS
        TimeoutSeconds     = 30              # connect, negotiate and each response
        MaxResultsPerQuery = 500             # the PACS's cap on C-FIND answers (0 = none known); longer answers are split by date
        ThrottleLimit      = 4               # associations at once
        ResolveModality    = $true           # ask for series modalities when the PACS leaves ModalitiesInStudy out
    }

    # How the selected studies reach XNAT:
    #   HandOver - another team ingests: the run stops after selection and writes 05-handover-list.csv in the run
    #              folder; finish it with  Invoke-HandiPacsUpdate -ConfigPath ... -Resume <run folder> -FailurePath <their failure text>
    #   CMove    - PACS sends each study to XNAT's DICOM receiver (MoveDestination must be registered on the PACS)
    #   Dqr      - XNAT's query-retrieve plugin pulls them (needs the Xnat section)
    Ingestion = @{
        Mode            = 'HandOver'
        MoveDestination = 'XNAT'             # CMove: the receiver's AE title as the PACS knows it
        MoveAttempts    = 2                  # CMove: tries per study when the network fails (a PACS failure status is not retried)
        OutageAfter     = 3                  # CMove: this many moves in a row delivering nothing = receiver down; the rest wait for the next run
    }

    # XNAT (Dqr mode; optional otherwise).
    # Xnat = @{
    #     Uri            = 'https://xnat.example.nhs.uk'
    #     Project        = 'RT-HaND'
    #     PacsId         = '1'                             # the PACS's id in XNAT's query-retrieve plugin
    #     CredentialPath = 'xnat-credential.clixml'        # Get-Credential | Export-Clixml xnat-credential.clixml (as the task's account)
    #     CredentialType = 'AliasToken'                    # Password (user + password) or AliasToken (alias + secret)
    # }

    # The persistent files (replaced atomically, previous version kept as .bak, under a lock).
    CohortPath        = 'data/cohort.csv'                  # HospitalId, NhsNumber, Status, LastQueried, ReferenceDate (+ Note ...)
    RulesPath         = 'data/012a Imaging Study Descriptions.xlsx'   # the clinicians' INCLUDE/EXCLUDE workbook
    LedgerPath        = 'data/failure-ledger.csv'          # every quarter's ingestion failures; created on the first run

    # Inputs (optional).
    DeceasedPath      = 'data/edw-deceased.csv'            # the EDW's deceased extract: those patients are not queried
    IdMapPath         = 'data/HospitalID-NHSNumber.csv'    # hospital ID -> NHS number for failure records (default: from the cohort)
    # ReferenceDatePath = 'data/reference_dates.csv'       # Subject, Reference Date (default: the cohort's ReferenceDate column)
    SessionExportPath = 'data/xnat-exports'                # XNAT's eight session exports (CT.csv ... XA.csv) for the summary

    OverlapDays       = 14                                 # Existing patients are queried from LastQueried minus this many days

    # Where each run's folder goes (run-yyyyMMdd-HHmmss) and the run lock and import history live.
    RunRoot           = 'runs'

    # The warehouse's drop folder for the master summary (needs Publish-EdwSummary).
    # Edw = @{
    #     DropFolder = '\\edw-share\imaging\inbound'
    #     Keep       = 4                                   # versions kept in the drop folder
    # }

    # Failure-rate baselines per group (fractions; defaults are the first ingestion's rates) and the alarm's p-value.
    # Baselines = @{ CT = 0.074; MR = 0.067; 'PET+NM' = 0.142; 'RF+XA' = 0.564; 'CR+DX' = 0.241 }
    # AlarmPValue = 0.01
}
