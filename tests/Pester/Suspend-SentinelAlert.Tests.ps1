Describe 'Suspend-SentinelAlert' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestAlertFleet
        $null = New-SentinelAlertRule 'Memory used' Memory 0.5 -Id mem-suspend -Machine pester-alert
        $alert = Wait-OpenAlert mem-suspend
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'silences nothing under -WhatIf' {
        Suspend-SentinelAlert $alert.Id -For 10m -WhatIf | Should -BeNullOrEmpty
        (Get-SentinelAlert -Id $alert.Id).State.ToString() | Should -Be 'Firing'
    }

    It 'silences an alert for a while' {
        $silenced = Suspend-SentinelAlert $alert.Id -For 10m
        $silenced.State.ToString() | Should -Be 'Silenced'
        (Get-SentinelAlert -Id $alert.Id).State.ToString() | Should -Be 'Silenced'
    }

    It 'silences a piped alert until a time' {
        $null = Resume-SentinelAlert $alert.Id
        $silenced = Get-SentinelAlert -Id $alert.Id | Suspend-SentinelAlert -Until ([datetime]::Now.AddHours(2))
        $silenced.State.ToString() | Should -Be 'Silenced'
    }

    It 'names an alert it does not have' {
        Suspend-SentinelAlert 987654 -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.AlertNotFound,*'
    }
}
