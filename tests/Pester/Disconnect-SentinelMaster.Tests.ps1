Describe 'Disconnect-SentinelMaster' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestFleet -AgentName 'pester-disconnect'
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'returns the session to the local machine and leaves the master running' {
        (Get-SentinelMachine).Source | Should -Be $fleet.Master.Url
        Disconnect-SentinelMaster
        (Get-SentinelMachine).Source | Should -Be 'local'
        $fleet.Master.Status | Should -Be 'Running'
    }

    It 'is harmless when nothing is connected' {
        Disconnect-SentinelMaster
        (Get-SentinelMachine).Name | Should -Be $HostName
    }
}
