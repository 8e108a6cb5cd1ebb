Describe 'Get-SentinelAuditLog' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
    }

    It 'refuses without a master' {
        $err = $null
        try { Get-SentinelAuditLog -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.NoMaster,*'
    }
}

Describe 'Get-SentinelAuditLog on a fleet' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $fleet = Start-TestCommandFleet
        $marker = 'audit-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $null = Invoke-SentinelCommand -Name pester-cmd-b -Command "echo $marker" -Confirm:$false
    }

    AfterAll {
        Stop-TestFleet $fleet
    }

    It 'has every command request: who, what, and how each machine answered' {
        $entry = Get-SentinelAuditLog -Machine pester-cmd-b -User local -Last 1000 | Where-Object Command -eq "echo $marker"
        $entry.GetType().FullName | Should -Be 'Sentinel.Commands.AuditEntry'
        $entry.Action | Should -Be 'command'
        $entry.Outcome | Should -Be 'accepted'
        $entry.Role | Should -Be 'admin'
        $entry.Results[0].Machine | Should -Be 'pester-cmd-b'
        $entry.Results[0].Outcome | Should -Be 'completed'
        $entry.Results[0].ExitCode | Should -Be 0
    }

    It 'keeps to the last entries with -Last' {
        $null = Invoke-SentinelCommand -Name pester-cmd-a -Command 'echo later' -Confirm:$false
        $last = @(Get-SentinelAuditLog -Last 1)
        $last.Count | Should -Be 1
        $last[0].Command | Should -Be 'echo later'
    }

    It 'keeps to one machine with -Machine' {
        @(Get-SentinelAuditLog -Machine pester-cmd-a | ForEach-Object Command) | Should -Not -Contain "echo $marker"
        @(Get-SentinelAuditLog -Machine pester-cmd-b | ForEach-Object Command) | Should -Contain "echo $marker"
    }

    It 'finds nothing for another user or from a later time' {
        Get-SentinelAuditLog -User nobody | Should -BeNullOrEmpty
        Get-SentinelAuditLog -Since ([datetime]::Now.AddHours(1)) | Should -BeNullOrEmpty
    }
}
