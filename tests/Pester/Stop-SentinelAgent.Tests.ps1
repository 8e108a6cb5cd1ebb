Describe 'Stop-SentinelAgent' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestFleet -AgentName 'pester-stop'
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'leaves the agent running under -WhatIf' {
        $fleet.Agents[0] | Stop-SentinelAgent -WhatIf
        $fleet.Agents[0].Status | Should -Be 'Running'
    }

    It 'takes the machine offline at once' {
        $stopped = $fleet.Agents[0] | Stop-SentinelAgent -PassThru
        $stopped.Status | Should -Be 'Stopped'
        (Get-SentinelMachine -Name 'pester-stop').Status.ToString() | Should -Be 'Offline'
    }
}
