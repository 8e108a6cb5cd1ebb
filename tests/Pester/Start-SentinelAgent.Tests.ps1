Describe 'Start-SentinelAgent' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $data = [System.IO.Directory]::CreateTempSubdirectory('sentinel-pester-').FullName
        $master = Start-SentinelMaster -Port 0 -DataPath $data
    }

    AfterAll {
        Stop-SentinelAgent
        Stop-SentinelMaster
        [System.IO.Directory]::Delete($data, $true)
    }

    It 'starts an agent whose machine comes online with its tags' {
        $agent = Start-SentinelAgent -Master $master.Url -Name 'pester-agent' -Interval 1s -Tag @{ rack = 'b7' }
        $agent.Name | Should -Be 'pester-agent'
        $agent.Status | Should -Be 'Running'
        Wait-Until { @(Get-SentinelMachine -Name 'pester-agent' -Status Online -ErrorAction SilentlyContinue).Count -eq 1 } 'the agent to come online'
        (Get-SentinelMachine -Name 'pester-agent').Tags['rack'] | Should -Be 'b7'
    }

    It 'takes the master from a piped master object' {
        $agent = $master | Start-SentinelAgent -Name 'pester-piped' -Interval 1s
        $agent.Master | Should -Be $master.Url
    }

    It 'refuses what is not a URL, saying what to use' {
        $null = Start-SentinelAgent -Master 'login01' -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'Sentinel.InvalidUrl,*'
        $errs[0].TargetObject | Should -Be 'login01'
        $errs[0].ErrorDetails.RecommendedAction | Should -BeLike '*http://*'
    }

    It 'starts nothing under -WhatIf' {
        Start-SentinelAgent -Master 'http://127.0.0.1:1' -WhatIf | Should -BeNullOrEmpty
    }

    It 'takes its token as text or as a SecureString, as every token parameter does' {
        (Get-Command Start-SentinelAgent).Parameters['Token'].ParameterType.FullName | Should -Be 'System.Security.SecureString'
        (Get-Command Start-SentinelMaster).Parameters['AgentToken'].ParameterType.FullName | Should -Be 'System.Security.SecureString'
        $guardedData = [System.IO.Directory]::CreateTempSubdirectory('sentinel-pester-').FullName
        $guarded = Start-SentinelMaster -Port 0 -DataPath $guardedData -AgentToken 'sta_pester-token'
        try {
            $null = Start-SentinelAgent -Master $guarded.Url -Name 'pester-token' -Interval 1s -Token ([System.Net.NetworkCredential]::new('', 'sta_pester-token').SecurePassword)
            Wait-Until { @(Get-SentinelMachine -Name 'pester-token' -Status Online -ErrorAction SilentlyContinue).Count -eq 1 } 'the agent with the token to come online'
        }
        finally {
            $guarded | Stop-SentinelMaster
            [System.IO.Directory]::Delete($guardedData, $true)
            $null = Connect-SentinelMaster -Url $master.Url
        }
    }
}
