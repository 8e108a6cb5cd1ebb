Describe 'Get-SentinelMetric' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestFleet -AgentName 'pester-metric'
        Wait-Until { $fleet.Agents[0].AckedSeq -ge 3 } 'samples to be stored'
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'reads the history of piped machines' {
        $points = @(Get-SentinelMachine | Get-SentinelMetric -Since ([DateTime]::Now.AddMinutes(-5)) -Step 1s)
        $points.Count | Should -BeGreaterThan 0
        $points[0].Machine | Should -Be 'pester-metric'
        $points[0].StepSeconds | Should -Be 1
        $points[0].MemoryUsedPercent | Should -BeGreaterThan 0
    }

    It 'names an unknown machine and goes on with the others' {
        $points = @(Get-SentinelMetric -Name 'no-such-machine', 'pester-metric' -Step 10s -ErrorVariable errs -ErrorAction SilentlyContinue)
        $points.Count | Should -BeGreaterThan 0
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.MachineNotFound,*'
        $errs[0].TargetObject | Should -Be 'no-such-machine'
    }

    It 'says how to get history when no master is connected' {
        Disconnect-SentinelMaster
        try {
            $err = $null
            try { Get-SentinelMetric -Name $HostName -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.NoHistory,*'
            $err.ToString() | Should -BeLike '*Start-SentinelMaster*'
        }
        finally {
            $null = Connect-SentinelMaster -Url $fleet.Master.Url
        }
    }

    It 'takes results by their Machine property, reading each machine once' {
        $points = @([pscustomobject]@{ Machine = 'pester-metric' }, [pscustomobject]@{ Machine = 'pester-metric' } | Get-SentinelMetric -Step 1h)
        $points.Count | Should -BeGreaterThan 0
        $points[0].Machine | Should -Be 'pester-metric'
        $distinct = [System.Collections.Generic.HashSet[string]]::new()
        foreach ($p in $points) { $null = $distinct.Add($p.T.ToString('o')) }
        $distinct.Count | Should -Be $points.Count
    }

    It 'shows each request to the master under -Verbose' {
        $verbose = @(Get-SentinelMetric -Name 'pester-metric' -Step 1h -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $verbose.Count | Should -Be 1
        $verbose[0].Message | Should -BeLike 'GET http://127.0.0.1:*/api/machines/pester-metric/metrics*: 200 OK, * in * ms'
    }
}
