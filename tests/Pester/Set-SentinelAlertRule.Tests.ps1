Describe 'Set-SentinelAlertRule' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestAlertFleet
        $null = New-SentinelAlertRule 'Memory used' Memory 0.5 -Id mem-set -Machine pester-alert
        $alert = Wait-OpenAlert mem-set
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'changes nothing under -WhatIf' {
        Set-SentinelAlertRule mem-set -Threshold 100 -WhatIf | Should -BeNullOrEmpty
        (Get-SentinelAlertRule mem-set).Threshold | Should -Be 0.5
        (Get-SentinelAlert -Id $alert.Id).State.ToString() | Should -Be 'Firing'
    }

    It 'writes nothing without -PassThru' {
        Set-SentinelAlertRule mem-set -Severity Critical | Should -BeNullOrEmpty
        (Get-SentinelAlertRule mem-set).Severity.ToString() | Should -Be 'Critical'
    }

    It 'changes a piped rule and, with -PassThru, returns it; an unreachable threshold resolves its open alert' {
        $changed = Get-SentinelAlertRule mem-set | Set-SentinelAlertRule -Threshold 100 -For 5s -PassThru
        $changed.Threshold | Should -Be 100
        $changed.ClearThreshold | Should -Be 100
        $changed.ForSeconds | Should -Be 5
        (Get-SentinelAlert -Id $alert.Id).State.ToString() | Should -Be 'Resolved'
    }

    It 'names a rule it does not have' {
        $err = $null
        try { Set-SentinelAlertRule no-such-rule -Threshold 50 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.AlertRuleNotFound,*'
    }
}
