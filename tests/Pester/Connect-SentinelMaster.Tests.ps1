Describe 'Connect-SentinelMaster' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestFleet -AgentName 'pester-connect'
        Disconnect-SentinelMaster
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'points the session at a master and says what it holds' {
        $connection = Connect-SentinelMaster -Url $fleet.Master.Url
        $connection.Url | Should -Be $fleet.Master.Url
        $connection.MachinesOnline | Should -Be 1
        (Get-SentinelMachine).Name | Should -Be 'pester-connect'
    }

    It 'takes the URL from a piped object' {
        $connection = [pscustomobject]@{ Url = $fleet.Master.Url } | Connect-SentinelMaster
        $connection.Url | Should -Be $fleet.Master.Url
    }

    It 'reports an unreachable master as a connection error and stays where it was' {
        $null = Connect-SentinelMaster -Url 'http://127.0.0.1:1' -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.MasterUnreachable,*'
        $errs[0].CategoryInfo.Category.ToString() | Should -Be 'ConnectionError'
        (Get-SentinelMachine).Name | Should -Be 'pester-connect'
    }
}
