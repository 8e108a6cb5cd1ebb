Describe 'Resume-SentinelAlert' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestAlertFleet
        $null = New-SentinelAlertRule 'Memory used' Memory 0.5 -Id mem-resume -Machine pester-alert
        $alert = Wait-OpenAlert mem-resume
        $null = Suspend-SentinelAlert $alert.Id -For 10m
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'lifts nothing under -WhatIf' {
        Resume-SentinelAlert $alert.Id -WhatIf | Should -BeNullOrEmpty
        (Get-SentinelAlert -Id $alert.Id).State.ToString() | Should -Be 'Silenced'
    }

    It 'lifts the silence: a firing alert fires again' {
        (Resume-SentinelAlert $alert.Id).State.ToString() | Should -Be 'Firing'
        (Get-SentinelAlert -Id $alert.Id).State.ToString() | Should -Be 'Firing'
    }

    It 'brings an acknowledged alert back to acknowledged' {
        $null = Confirm-SentinelAlert $alert.Id
        $null = Suspend-SentinelAlert $alert.Id -For 10m
        (Get-SentinelAlert -Id $alert.Id | Resume-SentinelAlert).State.ToString() | Should -Be 'Acknowledged'
    }

    It 'names an alert it does not have' {
        Resume-SentinelAlert 987654 -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.AlertNotFound,*'
    }
}
