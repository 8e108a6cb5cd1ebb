Describe 'Invoke-SentinelBenchmark' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
    }

    It 'runs on this machine when no machines are given' {
        $result = Invoke-SentinelBenchmark -Name Command -Command true
        $result.Machine | Should -Be $HostName
        $result.State.ToString() | Should -Be 'Completed'
        $result.Benchmark | Should -Be 'Command'
    }

    It 'takes the CLI name of a benchmark too' {
        (Invoke-SentinelBenchmark -Name command -Command true).Benchmark | Should -Be 'Command'
    }

    It 'refuses an unknown benchmark, naming the real ones' {
        $err = $null
        try { Invoke-SentinelBenchmark -Name MemoryBandwith -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.UnknownBenchmark,*'
        $err.TargetObject | Should -Be 'MemoryBandwith'
        $err.ToString() | Should -BeLike '*MemoryBandwidth*'
    }

    It 'writes a failed run as an error whose target is the result' {
        $results = @(Invoke-SentinelBenchmark -Name Command -Command false -ErrorVariable errs -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 0
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.BenchmarkFailed,*'
        $errs[0].TargetObject.State.ToString() | Should -Be 'Failed'
    }

    It 'runs nothing under -WhatIf' {
        Invoke-SentinelBenchmark -Name Command -Command true -WhatIf | Should -BeNullOrEmpty
    }

    It 'returns a job with -AsJob that Receive-Job empties' {
        $job = Invoke-SentinelBenchmark -Name Command -Command true -AsJob
        $job.PSJobTypeName | Should -Be 'SentinelBenchmarkJob'
        $result = $job | Wait-Job -Timeout 60 | Receive-Job
        $result.State.ToString() | Should -Be 'Completed'
        $job | Remove-Job
    }

    It 'completes benchmark names and their parameters with Tab' {
        $line = 'Invoke-SentinelBenchmark -Name Mem'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'MemoryBandwidth'
        $line = 'Invoke-SentinelBenchmark -Name Cpu -Parameter '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain "@{ seconds = '2' }"
    }
}

Describe 'Invoke-SentinelBenchmark on a fleet' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestFleet -AgentName 'pester-bench-a', 'pester-bench-b'
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'runs on every piped machine and writes one result each' {
        $results = @(Get-SentinelMachine | Invoke-SentinelBenchmark -Name Network -Parameter @{ seconds = 0.5; pings = 5 })
        $results.Count | Should -Be 2
        $results.Machine | Should -Contain 'pester-bench-a'
        $results.Machine | Should -Contain 'pester-bench-b'
    }

    It 'goes on past a dead machine: one error for it, a result for the other' {
        $fleet.Agents[1] | Stop-SentinelAgent
        Wait-Until { (Get-SentinelMachine -Name 'pester-bench-b').Status.ToString() -eq 'Offline' } 'the stopped machine to go offline'
        $results = @(Get-SentinelMachine | Invoke-SentinelBenchmark -Name Network -Parameter @{ seconds = 0.5; pings = 5 } -ErrorVariable errs -ErrorAction SilentlyContinue)
        $results.Count | Should -Be 1
        $results[0].Machine | Should -Be 'pester-bench-a'
        $errs.Count | Should -Be 1
        $errs[0].TargetObject.Machine | Should -Be 'pester-bench-b'
        $errs[0].ErrorDetails.RecommendedAction | Should -BeLike '*Get-SentinelMachine -Status Offline*'
    }
}
