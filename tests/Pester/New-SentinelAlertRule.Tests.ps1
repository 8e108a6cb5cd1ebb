Describe 'New-SentinelAlertRule' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestAlertFleet
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'adds nothing under -WhatIf' {
        New-SentinelAlertRule 'Memory used' Memory 0.5 -Id mem-new -Machine pester-alert -WhatIf | Should -BeNullOrEmpty
        @(Get-SentinelAlertRule mem-new -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'adds a rule and returns it' {
        $rule = New-SentinelAlertRule 'Memory used' Memory 0.5 -Id mem-new -Machine pester-alert -Severity Critical
        $rule.PSObject.TypeNames[0] | Should -Be 'Sentinel.AlertRule'
        $rule.Id | Should -Be 'mem-new'
        $rule.Severity.ToString() | Should -Be 'Critical'
        (Get-SentinelAlertRule mem-new).Name | Should -Be 'Memory used'
    }

    It 'makes alerts fire on the machines it watches' {
        $alert = Wait-OpenAlert mem-new
        $alert.Machine | Should -Be 'pester-alert'
        $alert.State.ToString() | Should -Be 'Firing'
    }

    It 'refuses a clear threshold on the wrong side, naming it' {
        $err = $null
        try { New-SentinelAlertRule 'Hot' Cpu 90 -ClearThreshold 95 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.BadRequest*'
        $err.ToString() | Should -BeLike '*clearThreshold*'
    }

    It 'refuses a metric it does not know' {
        $err = $null
        try { New-SentinelAlertRule 'Hot' Temperature 90 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError*'
    }
}
