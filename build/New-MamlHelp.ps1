<#
.SYNOPSIS
    Generates MAML help for the module's cmdlets from their metadata and their C# doc comments.
.DESCRIPTION
    platyPS is not available on our registries, so the build writes MAML itself. Parameter sets, types,
    positions and pipeline binding come from the loaded cmdlets (Get-Command); the words come from the C#
    XML documentation file: a cmdlet class's <summary> is the synopsis, <remarks> the description, each
    <example> (a <code> then <para>s) an example, and each parameter property's <summary> its help.
    Runs in its own process because it loads the module assembly.
#>
param(
    [Parameter(Mandatory)] [string] $AssemblyPath,
    [Parameter(Mandatory)] [string] $DocumentationPath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [switch] $InProcess
)
$ErrorActionPreference = 'Stop'

if (-not $InProcess) {
    # Load the assembly in a child pwsh so the build process never holds it.
    # $PSHOME/pwsh.dll runs under any dotnet host, whether pwsh came as a .NET tool or an install.
    & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -File $PSCommandPath -AssemblyPath $AssemblyPath -DocumentationPath $DocumentationPath -OutputPath $OutputPath -InProcess
    exit $LASTEXITCODE
}

$module = Import-Module (Resolve-Path -LiteralPath $AssemblyPath).ProviderPath -PassThru
[xml] $docs = Get-Content -LiteralPath $DocumentationPath -Raw
$members = @{}
foreach ($member in $docs.doc.members.member) { $members[$member.name] = $member }

$commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
$shouldProcessHelp = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs. The cmdlet is not run.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}

# Doc-comment XML to paragraphs of plain text: <para> splits, <c>/<see>/<paramref> become their text.
function ConvertTo-Paragraphs([System.Xml.XmlNode] $node) {
    if ($null -eq $node) { return @() }
    $paragraphs = [System.Collections.Generic.List[string]]::new()
    $current = [System.Text.StringBuilder]::new()
    function Flush { if ($current.ToString().Trim()) { $paragraphs.Add(($current.ToString() -replace '\s+', ' ').Trim()) }; [void]$current.Clear() }
    function Walk([System.Xml.XmlNode] $n) {
        switch ($n.NodeType) {
            'Text' { [void]$current.Append($n.Value); return }
            'Element' {
                switch ($n.LocalName) {
                    'para' { Flush; foreach ($c in $n.ChildNodes) { Walk $c }; Flush; return }
                    'see' { $ref = if ($n.cref) { $n.cref } elseif ($n.langword) { $n.langword } else { $n.href }; [void]$current.Append(($ref -replace '^[A-Z]:', '' -split '\.')[-1]); return }
                    'paramref' { [void]$current.Append('-' + $n.name); return }
                    default { foreach ($c in $n.ChildNodes) { Walk $c }; return }
                }
            }
        }
    }
    foreach ($child in $node.ChildNodes) { Walk $child }
    Flush
    return , $paragraphs.ToArray()
}

function Get-ParameterDoc([type] $type, [string] $name) {
    for ($t = $type; $null -ne $t; $t = $t.BaseType) {
        $member = $members["P:$($t.FullName).$name"]
        if ($member) { return ConvertTo-Paragraphs $member.SelectSingleNode('summary') }
    }
    return @()
}

$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
New-Item -ItemType Directory -Path (Split-Path $OutputPath) -Force | Out-Null
$w = [System.Xml.XmlWriter]::Create($OutputPath, $settings)
$maml = 'http://schemas.microsoft.com/maml/2004/10'
$cmd = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
function Para([string[]] $texts) { foreach ($t in $texts) { $w.WriteElementString('maml', 'para', $maml, $t) } }
function Description([string[]] $texts) { $w.WriteStartElement('maml', 'description', $maml); Para $texts; $w.WriteEndElement() }

function Write-Parameter($p, [type] $cmdletType, $setData, [bool] $inSyntax) {
    $help = if ($shouldProcessHelp.ContainsKey($p.Name)) { @($shouldProcessHelp[$p.Name]) } else { Get-ParameterDoc $cmdletType $p.Name }
    $mandatory = $false; $position = 'named'; $byValue = $false; $byName = $false
    foreach ($attribute in $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }) {
        if ($setData -and $attribute.ParameterSetName -ne $setData -and $attribute.ParameterSetName -ne '__AllParameterSets') { continue }
        $mandatory = $mandatory -or $attribute.Mandatory
        if ($attribute.Position -ge 0) { $position = [string]$attribute.Position }
        $byValue = $byValue -or $attribute.ValueFromPipeline
        $byName = $byName -or $attribute.ValueFromPipelineByPropertyName
    }
    $pipeline = if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' } elseif ($byValue) { 'True (ByValue)' } elseif ($byName) { 'True (ByPropertyName)' } else { 'False' }
    $w.WriteStartElement('command', 'parameter', $cmd)
    $w.WriteAttributeString('required', ([string]$mandatory).ToLowerInvariant())
    $w.WriteAttributeString('variableLength', ([string]$p.ParameterType.IsArray).ToLowerInvariant())
    $w.WriteAttributeString('globbing', ([string]($p.Name -eq 'Path')).ToLowerInvariant())
    $w.WriteAttributeString('pipelineInput', $pipeline)
    $w.WriteAttributeString('position', $position)
    $w.WriteAttributeString('aliases', $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('maml', 'name', $maml, $p.Name)
    Description $help
    $typeName = if ($p.SwitchParameter) { 'SwitchParameter' } else { $p.ParameterType.Name }
    if (-not $p.SwitchParameter -or -not $inSyntax) {
        $w.WriteStartElement('command', 'parameterValue', $cmd)
        $w.WriteAttributeString('required', ([string](-not $p.SwitchParameter)).ToLowerInvariant())
        $w.WriteAttributeString('variableLength', 'false')
        $w.WriteString($typeName)
        $w.WriteEndElement()
    }
    $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $p.ParameterType.FullName); $w.WriteEndElement()
    $w.WriteElementString('dev', 'defaultValue', $dev, 'None')
    $w.WriteEndElement()
}

$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
$missing = 0
foreach ($command in Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name) {
    $type = $command.ImplementingType
    $doc = $members["T:$($type.FullName)"]
    if (-not $doc) { Write-Warning "$($command.Name): no doc comment on $($type.FullName)"; $missing++ }
    $synopsis = if ($doc) { ConvertTo-Paragraphs $doc.SelectSingleNode('summary') } else { @() }
    $description = if ($doc) { ConvertTo-Paragraphs $doc.SelectSingleNode('remarks') } else { @() }
    $parameters = $command.Parameters.Values | Where-Object { $commonParameters -notcontains $_.Name -or $shouldProcessHelp.ContainsKey($_.Name) }

    $w.WriteStartElement('command', 'command', $cmd)
    $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $w.WriteStartElement('command', 'details', $cmd)
    $w.WriteElementString('command', 'name', $cmd, $command.Name)
    Description $synopsis
    $w.WriteElementString('command', 'verb', $cmd, $command.Verb)
    $w.WriteElementString('command', 'noun', $cmd, $command.Noun)
    $w.WriteEndElement()
    Description $description

    $w.WriteStartElement('command', 'syntax', $cmd)
    foreach ($set in $command.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $cmd)
        $w.WriteElementString('maml', 'name', $maml, $command.Name)
        foreach ($sp in $set.Parameters | Where-Object { $commonParameters -notcontains $_.Name -or $shouldProcessHelp.ContainsKey($_.Name) }) {
            Write-Parameter $command.Parameters[$sp.Name] $type $set.Name $true
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $cmd)
    foreach ($p in $parameters | Sort-Object Name) { Write-Parameter $p $type $null $false }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'inputTypes', $cmd)
    $inputTypes = $parameters | Where-Object { $_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and ($_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName) } }
    foreach ($p in $inputTypes) {
        $w.WriteStartElement('command', 'inputType', $cmd)
        $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $p.ParameterType.FullName); $w.WriteEndElement()
        Description @("Binds to -$($p.Name).")
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'returnValues', $cmd)
    foreach ($output in $command.OutputType) {
        $w.WriteStartElement('command', 'returnValue', $cmd)
        $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $output.Name); $w.WriteEndElement()
        Description @()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'examples', $cmd)
    $number = 0
    foreach ($example in $(if ($doc) { $doc.SelectNodes('example') } else { @() })) {
        $number++
        $w.WriteStartElement('command', 'example', $cmd)
        $w.WriteElementString('maml', 'title', $maml, "-------------------------- Example $number --------------------------")
        $w.WriteElementString('dev', 'code', $dev, ($example.SelectSingleNode('code').InnerText.Trim() -split "`r?`n" | ForEach-Object Trim) -join "`n")
        $w.WriteStartElement('dev', 'remarks', $dev)
        Para @(foreach ($para in $example.SelectNodes('para')) { ConvertTo-Paragraphs $para })
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $cmd)
    $w.WriteStartElement('maml', 'navigationLink', $maml)
    $w.WriteElementString('maml', 'linkText', $maml, 'about_HandiImaging')
    $w.WriteElementString('maml', 'uri', $maml, '')
    $w.WriteEndElement()
    $w.WriteEndElement()

    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()
Write-Host "help written to $OutputPath"
exit 0
