#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages Sentinel. Every task calls dotnet (Test and Pester also Pester 5, for tests/Pester), so the build is the same with or without pwsh.
.EXAMPLE
    ./build.ps1                  # Build
.EXAMPLE
    ./build.ps1 -Task Test       # or: ./build.ps1 -Test; the xunit suites, then tests/Pester when Pester 5 is installed
.EXAMPLE
    ./build.ps1 -Task Pester     # only the Pester 5 specs in tests/Pester, against out/Sentinel (or $env:SENTINEL_MODULE)
.EXAMPLE
    ./build.ps1 -Task Package    # artifacts/Sentinel-<version>.zip and artifacts/linux-x64/sentinel
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Package')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Shorthand for -Task Test.
    [switch] $Test
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
if ($Test) { $Task = @('Test') }

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-SentinelPester {
    # Pester 5 specs, one Describe per cmdlet; skipped (with a warning) where Pester 5 is not installed.
    $pester = Get-Module -ListAvailable Pester | Where-Object { $_.Version -ge [version]'5.0' } | Sort-Object Version -Descending | Select-Object -First 1
    if (-not $pester) {
        Write-Warning 'Pester 5 is not installed, so tests/Pester did not run (Install-PSResource Pester, or Install-Module Pester -MinimumVersion 5.0).'
        return
    }
    Import-Module $pester
    $config = New-PesterConfiguration
    $config.Run.Path = Join-Path $PSScriptRoot 'tests/Pester'
    $config.Run.Throw = $true
    $config.Output.Verbosity = 'Detailed'
    Invoke-Pester -Configuration $config
}

foreach ($t in $Task) {
    switch ($t) {
        'Build'   { Invoke-Dotnet build Sentinel.sln -c $Configuration }
        'Test'    { Invoke-Dotnet test Sentinel.sln -c $Configuration; Invoke-SentinelPester }
        'Pester'  { Invoke-Dotnet build Sentinel.sln -c $Configuration; Invoke-SentinelPester }
        'Package' {
            Invoke-Dotnet build src/Sentinel.PowerShell -c $Configuration -t:PackageSentinel
            Invoke-Dotnet publish src/Sentinel.Cli -c $Configuration -r linux-x64 -o artifacts/linux-x64
        }
    }
}
