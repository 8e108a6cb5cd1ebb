Describe 'Invoke-SentinelCommand' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
    }

    It 'refuses to run anything without a master, saying what to do' {
        $err = $null
        try { Invoke-SentinelCommand -Name localhost -Command 'echo hi' -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.NoMaster,*'
        $err.ErrorDetails.RecommendedAction | Should -BeLike '*Connect-SentinelMaster*'
    }
}

Describe 'Invoke-SentinelCommand on a fleet' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestCommandFleet
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'runs on every piped machine, without a shell, showing each line prefixed' {
        $results = @(Get-SentinelMachine -Name pester-cmd-[ab] | Invoke-SentinelCommand -Command 'echo $(id) ; id' -Confirm:$false -InformationVariable shown)
        $results.Count | Should -Be 2
        $results.Machine | Should -Contain 'pester-cmd-a'
        $results.Machine | Should -Contain 'pester-cmd-b'
        foreach ($r in $results) {
            $r.GetType().FullName | Should -Be 'Sentinel.Commands.CommandResult'
            $r.State.ToString() | Should -Be 'Completed'
            $r.ExitCode | Should -Be 0
            $r.Output | Should -Be "`$(id) ; id`n"
            $r.TimedOut | Should -BeFalse
        }
        $results[0].Id | Should -Be $results[1].Id
        @($shown | ForEach-Object { "$($_.MessageData)" }) | Should -Contain '[pester-cmd-a] $(id) ; id'
        @($shown | ForEach-Object { "$($_.MessageData)" }) | Should -Contain '[pester-cmd-b] $(id) ; id'
    }

    It 'takes machine names by value and with -Name' {
        ('pester-cmd-b' | Invoke-SentinelCommand 'echo piped' -Confirm:$false).Output | Should -Be "piped`n"
        (Invoke-SentinelCommand -Name pester-cmd-a -Command 'echo named' -Confirm:$false).Output | Should -Be "named`n"
    }

    It 'gives a non-zero exit code as a result, not an error' {
        $r = Invoke-SentinelCommand -Name pester-cmd-a -Command "sh -c 'echo out; echo err >&2; exit 4'" -Confirm:$false -ErrorVariable errs
        $r.ExitCode | Should -Be 4
        $r.Output | Should -Be "out`n"
        $r.ErrorOutput | Should -Be "err`n"
        $errs.Count | Should -Be 0
    }

    It 'writes an error for a machine that refuses, and the others go on' {
        $results = @(Invoke-SentinelCommand -Name pester-cmd-a, pester-cmd-c -Command 'echo hi' -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue)
        ($results | Where-Object Machine -eq 'pester-cmd-a').State.ToString() | Should -Be 'Completed'
        ($results | Where-Object Machine -eq 'pester-cmd-c').State.ToString() | Should -Be 'Refused'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.CommandRefused,*'
        $errs[0].CategoryInfo.Category.ToString() | Should -Be 'PermissionDenied'
        $errs[0].ToString() | Should -BeLike '*pester-cmd-c*'
        $errs[0].ErrorDetails.RecommendedAction | Should -BeLike '*-AllowCommand*'
    }

    It 'names a machine the master does not know' {
        $err = $null
        try { Invoke-SentinelCommand -Name nosuch -Command 'echo hi' -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.MachineNotFound,*'
        $err.ToString() | Should -BeLike '*nosuch*'
    }

    It 'refuses a command line with a newline, naming the character' {
        $err = $null
        try { Invoke-SentinelCommand -Name pester-cmd-a -Command "echo a`nrm -rf /" -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.InvalidCommand,*'
        $err.ToString() | Should -BeLike '*U+000A*'
    }

    It 'runs nothing under -WhatIf: the audit log has no such request' {
        $marker = 'whatif-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Get-SentinelMachine -Name pester-cmd-a | Invoke-SentinelCommand "echo $marker" -WhatIf | Should -BeNullOrEmpty
        @(Get-SentinelAuditLog -Last 1000 | Where-Object Command -like "*$marker*").Count | Should -Be 0
    }

    It 'returns a job with -AsJob whose lines and results Receive-Job gives' {
        $job = Get-SentinelMachine -Name pester-cmd-[ab] | Invoke-SentinelCommand 'echo in-a-job' -AsJob -Confirm:$false
        $job.PSJobTypeName | Should -Be 'SentinelCommandJob'
        $results = @($job | Wait-Job -Timeout 60 | Receive-Job -InformationVariable shown)
        $results.Count | Should -Be 2
        foreach ($r in $results) { $r.Output | Should -Be "in-a-job`n" }
        @($shown | ForEach-Object { "$($_.MessageData)" }) | Should -Contain '[pester-cmd-a] in-a-job'
        $job.State.ToString() | Should -Be 'Completed'
        $job | Remove-Job
    }

    It 'asks before running, its impact being high' {
        $attribute = (Get-Command Invoke-SentinelCommand).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $attribute.SupportsShouldProcess | Should -BeTrue
        $attribute.ConfirmImpact.ToString() | Should -Be 'High'
    }
}
