Describe 'Remove-SentinelAlertRule' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestAlertFleet
        $null = New-SentinelAlertRule 'Memory used' Memory 0.5 -Id mem-remove -Machine pester-alert
        $alert = Wait-OpenAlert mem-remove
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'removes nothing under -WhatIf' {
        Remove-SentinelAlertRule mem-remove -WhatIf
        (Get-SentinelAlertRule mem-remove).Id | Should -Be 'mem-remove'
    }

    It 'removes a piped rule, and its open alert resolves' {
        Get-SentinelAlertRule mem-remove | Remove-SentinelAlertRule -Confirm:$false | Should -BeNullOrEmpty
        @(Get-SentinelAlertRule mem-remove -ErrorVariable errs -ErrorAction SilentlyContinue).Count | Should -Be 0
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.AlertRuleNotFound,*'
        (Get-SentinelAlert -Id $alert.Id).State.ToString() | Should -Be 'Resolved'
    }

    It 'names a rule it does not have and goes on to the next' {
        $null = New-SentinelAlertRule 'Disk used' Disk 99 -Id disk-remove
        Remove-SentinelAlertRule no-such-rule, disk-remove -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.AlertRuleNotFound,*'
        $errs[0].TargetObject | Should -Be 'no-such-rule'
        @(Get-SentinelAlertRule disk-remove -ErrorAction SilentlyContinue).Count | Should -Be 0
    }
}
