Describe 'Remove-SentinelMachine' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestFleet -AgentName 'pester-rm-a', 'pester-rm-b', 'pester-rm-live'
        $fleet.Agents | Where-Object Name -ne 'pester-rm-live' | Stop-SentinelAgent
        Wait-Until { @(Get-SentinelMachine -Status Offline).Count -eq 2 } 'the stopped agents to go offline'
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'removes nothing under -WhatIf' {
        Get-SentinelMachine -Status Offline | Remove-SentinelMachine -WhatIf
        @(Get-SentinelMachine).Count | Should -Be 3
    }

    It 'refuses a machine whose agent is connected, naming it, and goes on to the next' {
        Remove-SentinelMachine pester-rm-live, pester-rm-a -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.MachineOnline,*'
        $errs[0].TargetObject | Should -Be 'pester-rm-live'
        $errs[0].ErrorDetails.RecommendedAction | Should -BeLike '*Stop its agent*'
        @(Get-SentinelMachine pester-rm-a -ErrorAction SilentlyContinue).Count | Should -Be 0
        (Get-SentinelMachine pester-rm-live).Status.ToString() | Should -Be 'Online'
    }

    It 'removes the offline machines piped from Get-SentinelMachine' {
        Get-SentinelMachine -Status Offline | Remove-SentinelMachine -Confirm:$false
        (@(Get-SentinelMachine) | ForEach-Object Name) | Should -Be 'pester-rm-live'
    }

    It 'names a machine the master does not know' {
        Remove-SentinelMachine pester-rm-a -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.MachineNotFound,*'
    }
}
