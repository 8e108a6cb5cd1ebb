Describe 'Get-SentinelAlert' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
    }

    It 'says how to get a master when none is connected' {
        $err = $null
        try { Get-SentinelAlert -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.NoMaster,*'
        $err.ErrorDetails.RecommendedAction | Should -BeLike '*Start-SentinelMaster*'
    }
}

Describe 'Get-SentinelAlert on a fleet' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestAlertFleet
        $null = New-SentinelAlertRule 'Memory used' Memory 0.5 -Id mem-alert -Machine pester-alert
        $alert = Wait-OpenAlert mem-alert
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'lists open alerts, each naming its rule and machine' {
        $alert.PSObject.TypeNames[0] | Should -Be 'Sentinel.Alert'
        $alert.Machine | Should -Be 'pester-alert'
        $alert.RuleName | Should -Be 'Memory used'
        $alert.State.ToString() | Should -Be 'Firing'
    }

    It 'keeps to one machine with -Machine' {
        @(Get-SentinelAlert pester-alert -State Open | ForEach-Object RuleId) | Should -Contain 'mem-alert'
        @(Get-SentinelAlert -Machine no-such-machine).Count | Should -Be 0
    }

    It 'gets one alert by -Id' {
        (Get-SentinelAlert -Id $alert.Id).RuleId | Should -Be 'mem-alert'
    }

    It 'lists a resolved alert only without -State Open' {
        Remove-SentinelAlertRule mem-alert -Confirm:$false
        (Get-SentinelAlert -Id $alert.Id).State.ToString() | Should -Be 'Resolved'
        @(Get-SentinelAlert -State Open | ForEach-Object Id) | Should -Not -Contain $alert.Id
        @(Get-SentinelAlert | ForEach-Object Id) | Should -Contain $alert.Id
    }

    It 'names an alert it does not have' {
        $err = $null
        try { Get-SentinelAlert -Id 987654 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.AlertNotFound,*'
    }
}
