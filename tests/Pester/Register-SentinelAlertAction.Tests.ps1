Describe 'Register-SentinelAlertAction' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestAlertFleet
        $global:pesterAlertSeen = [System.Collections.Generic.List[string]]::new()
        $job = Register-SentinelAlertAction -SourceIdentifier pester-alerts -Interval 300ms -ScriptBlock {
            param($alert)
            $global:pesterAlertSeen.Add("$($alert.RuleId) $($alert.Machine) $($alert.State)")
        }
    }

    AfterAll {
        # Unregister-Event, without Microsoft.PowerShell.Utility (not in every engine these specs run in).
        $ExecutionContext.Events.Subscribers | Where-Object SourceIdentifier -eq 'pester-alerts' | ForEach-Object { $ExecutionContext.Events.UnsubscribeEvent($_) }
        Stop-TestFleet $fleet
    }

    It 'returns the event job of a subscription named by -SourceIdentifier' {
        $job.GetType().Name | Should -Be 'PSEventJob'
        @($ExecutionContext.Events.Subscribers | ForEach-Object SourceIdentifier) | Should -Contain 'pester-alerts'
    }

    It 'runs the scriptblock in the session with the alert when one fires' {
        $null = New-SentinelAlertRule 'Any memory' Memory 0.5 -Id mem-watch -Machine pester-alert
        Wait-Until { $global:pesterAlertSeen -contains 'mem-watch pester-alert Firing' } 'the scriptblock to see the alert fire'
        $global:pesterAlertSeen | Should -Contain 'mem-watch pester-alert Firing'
    }

    It 'runs it again when the alert changes' {
        $null = Get-SentinelAlert -State Open | Where-Object RuleId -eq 'mem-watch' | Confirm-SentinelAlert
        Wait-Until { $global:pesterAlertSeen -contains 'mem-watch pester-alert Acknowledged' } 'the scriptblock to see the alert acknowledged'
        $global:pesterAlertSeen | Should -Contain 'mem-watch pester-alert Acknowledged'
    }
}
