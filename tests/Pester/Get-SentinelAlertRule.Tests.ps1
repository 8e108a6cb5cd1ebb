Describe 'Get-SentinelAlertRule' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestAlertFleet
        $null = New-SentinelAlertRule 'Memory used' Memory 0.5 -Id mem-get -Machine pester-alert
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'lists the built-in rules and the ones added' {
        $ids = @(Get-SentinelAlertRule | ForEach-Object Id)
        $ids | Should -Contain 'cpu-high'
        $ids | Should -Contain 'offline'
        $ids | Should -Contain 'mem-get'
    }

    It 'gets one rule by its id, as an alert rule' {
        $rule = Get-SentinelAlertRule mem-get
        $rule.PSObject.TypeNames[0] | Should -Be 'Sentinel.AlertRule'
        $rule.Name | Should -Be 'Memory used'
        $rule.Threshold | Should -Be 0.5
    }

    It 'takes wildcards' {
        $rules = @(Get-SentinelAlertRule mem-*)
        $rules.Count | Should -Be 1
        $rules[0].Id | Should -Be 'mem-get'
    }

    It 'names a rule it does not have' {
        $rules = @(Get-SentinelAlertRule no-such-rule -ErrorVariable errs -ErrorAction SilentlyContinue)
        $rules.Count | Should -Be 0
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.AlertRuleNotFound,*'
        $errs[0].ToString() | Should -BeLike '*no-such-rule*'
    }
}
