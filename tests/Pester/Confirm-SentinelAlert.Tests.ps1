Describe 'Confirm-SentinelAlert' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestAlertFleet
        $null = New-SentinelAlertRule 'Memory used' Memory 0.5 -Id mem-confirm -Machine pester-alert
        $alert = Wait-OpenAlert mem-confirm
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'acknowledges nothing under -WhatIf' {
        Confirm-SentinelAlert $alert.Id -WhatIf | Should -BeNullOrEmpty
        (Get-SentinelAlert -Id $alert.Id).State.ToString() | Should -Be 'Firing'
    }

    It 'acknowledges a piped alert, naming who did' {
        $acked = Get-SentinelAlert -State Open | Where-Object RuleId -eq 'mem-confirm' | Confirm-SentinelAlert
        $acked.Id | Should -Be $alert.Id
        $acked.State.ToString() | Should -Be 'Acknowledged'
        $acked.AcknowledgedBy | Should -Be 'local'
        (Get-SentinelAlert -Id $alert.Id).State.ToString() | Should -Be 'Acknowledged'
    }

    It 'names an alert it does not have' {
        Confirm-SentinelAlert 987654 -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.AlertNotFound,*'
        $errs[0].CategoryInfo.Category.ToString() | Should -Be 'ObjectNotFound'
    }
}
