# Dot-sourced by every spec's BeforeAll: imports the built module and gives the specs a fleet on loopback.
# Only .NET and the core cmdlets are used here, so the specs also run where only the core engine is loaded.

$RepoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
$ModulePath = if ($env:SENTINEL_MODULE) { $env:SENTINEL_MODULE } else { [System.IO.Path]::Combine($RepoRoot, 'out', 'Sentinel', 'Sentinel.psd1') }
if (-not [System.IO.File]::Exists($ModulePath)) {
    throw "The built module is missing at $ModulePath. Run 'dotnet build Sentinel.sln -c Release' (or set `$env:SENTINEL_MODULE)."
}
Import-Module $ModulePath

$HostName = [System.IO.File]::ReadAllText('/proc/sys/kernel/hostname').Trim()

function Wait-Until {
    # Waits for a condition, up to a generous limit; never asserts how long it took.
    param([scriptblock] $Condition, [string] $Because, [int] $Seconds = 30)
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Waited $Seconds s for $Because" }
        [System.Threading.Thread]::Sleep(200)
    }
}

function Start-TestFleet {
    # A master on a free loopback port with a data folder of its own, and agents sampling every second.
    param([string[]] $AgentName = @('pester-a'))
    $data = [System.IO.Directory]::CreateTempSubdirectory('sentinel-pester-').FullName
    $master = Start-SentinelMaster -Port 0 -DataPath $data
    $agents = @($AgentName | ForEach-Object { Start-SentinelAgent -Master $master.Url -Name $_ -Interval 1s })
    Wait-Until { @(Get-SentinelMachine -Status Online).Count -eq $AgentName.Count } 'the agents to come online'
    [pscustomobject]@{ Master = $master; Agents = $agents; DataPath = $data }
}

function Stop-TestFleet {
    param($Fleet)
    Stop-SentinelAgent
    Stop-SentinelMaster
    if ($Fleet) { [System.IO.Directory]::Delete($Fleet.DataPath, $true) }
}

function Start-TestAlertFleet {
    # A master whose alerts fire at once (-AlertHoldOff 0) and one agent sampling every second.
    param([string] $AgentName = 'pester-alert')
    $data = [System.IO.Directory]::CreateTempSubdirectory('sentinel-pester-').FullName
    $master = Start-SentinelMaster -Port 0 -DataPath $data -AlertHoldOff 0
    $agents = @(Start-SentinelAgent -Master $master.Url -Name $AgentName -Interval 1s)
    Wait-Until { @(Get-SentinelMachine -Status Online).Count -eq 1 } 'the agent to come online'
    [pscustomobject]@{ Master = $master; Agents = $agents; DataPath = $data }
}

function Wait-OpenAlert {
    # The open alert of a rule, once it has fired (a rule on memory above 0.5 % fires on the agent's next sample).
    param([string] $RuleId)
    Wait-Until { @(Get-SentinelAlert -State Open | Where-Object RuleId -eq $RuleId).Count -gt 0 } "rule $RuleId to fire"
    Get-SentinelAlert -State Open | Where-Object RuleId -eq $RuleId
}

function Start-TestCommandFleet {
    # A master and three agents: pester-cmd-a and pester-cmd-b may run 'echo *' and 'sh -c *', pester-cmd-c nothing.
    $data = [System.IO.Directory]::CreateTempSubdirectory('sentinel-pester-').FullName
    $master = Start-SentinelMaster -Port 0 -DataPath $data
    $agents = @(
        Start-SentinelAgent -Master $master.Url -Name pester-cmd-a -Interval 1s -AllowCommand 'echo *', 'sh -c *'
        Start-SentinelAgent -Master $master.Url -Name pester-cmd-b -Interval 1s -AllowCommand 'echo *', 'sh -c *'
        Start-SentinelAgent -Master $master.Url -Name pester-cmd-c -Interval 1s
    )
    Wait-Until { @(Get-SentinelMachine -Status Online).Count -eq 3 } 'the agents to come online'
    [pscustomobject]@{ Master = $master; Agents = $agents; DataPath = $data }
}
