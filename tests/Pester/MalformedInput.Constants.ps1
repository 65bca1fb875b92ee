# Lines shared by the cases of MalformedInput.Tests.ps1 (dot-sourced at discovery and at run time).
$script:CohortHeader = "HospitalId,NhsNumber,Status,LastQueried,ReferenceDate,Note"
$script:LedgerHeader = 'Subject,StudyDate,AccessionNumber,StudyDescription,StudyInstanceUid,HospitalId,FirstSeen,LastSeen,TimesSeen,Source,Status,ResolvedOn'
$script:LedgerRow = '9434765919,2024-02-01,ACC1,CT Neck,1.2.3,H1,2024-03-01,2024-03-01,1,f.txt:2,Open,'
$script:SessionHeader = 'Subject,Date,XNAT_CTSESSIONDATA ID,UID,Scans'
