#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages Sentinel. Every task only calls dotnet, so the result is the same with or without pwsh.
.EXAMPLE
    ./build.ps1                  # Build
.EXAMPLE
    ./build.ps1 -Task Test       # or: ./build.ps1 -Test
.EXAMPLE
    ./build.ps1 -Task Package    # artifacts/Sentinel-<version>.zip and artifacts/linux-x64/sentinel
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package')]
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

foreach ($t in $Task) {
    switch ($t) {
        'Build'   { Invoke-Dotnet build Sentinel.sln -c $Configuration }
        'Test'    { Invoke-Dotnet test Sentinel.sln -c $Configuration }
        'Package' {
            Invoke-Dotnet build src/Sentinel.PowerShell -c $Configuration -t:PackageSentinel
            Invoke-Dotnet publish src/Sentinel.Cli -c $Configuration -r linux-x64 -o artifacts/linux-x64
        }
    }
}
