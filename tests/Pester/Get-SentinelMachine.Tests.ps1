Describe 'Get-SentinelMachine' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
    }

    It 'returns this machine with no set-up' {
        $machine = Get-SentinelMachine
        $machine.Name | Should -Be $HostName
        $machine.Source | Should -Be 'local'
        $machine.Status.ToString() | Should -Be 'Online'
        $machine.Inventory.Threads | Should -BeGreaterThan 0
        $machine.Latest.MemoryUsedPercent | Should -BeGreaterThan 0
    }

    It 'takes names by value and from a Name property' {
        @($HostName | Get-SentinelMachine).Count | Should -Be 1
        @([pscustomobject]@{ Name = $HostName } | Get-SentinelMachine).Count | Should -Be 1
        @(Get-SentinelMachine -Name 'no-such-*').Count | Should -Be 0
    }

    It 'writes a non-terminating error for a name that matches nothing and goes on' {
        $found = @('no-such-machine', $HostName | Get-SentinelMachine -ErrorVariable errs -ErrorAction SilentlyContinue)
        $found.Count | Should -Be 1
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.MachineNotFound,*'
        $errs[0].TargetObject | Should -Be 'no-such-machine'
        $errs[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'completes machine names with Tab' {
        $line = 'Get-SentinelMachine -Name ' + $HostName.Substring(0, 1)
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completion.CompletionMatches.ListItemText | Should -Contain $HostName
    }
}
