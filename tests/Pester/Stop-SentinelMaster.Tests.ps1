Describe 'Stop-SentinelMaster' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $data = [System.IO.Directory]::CreateTempSubdirectory('sentinel-pester-').FullName
    }

    AfterAll {
        [System.IO.Directory]::Delete($data, $true)
    }

    It 'leaves the master running under -WhatIf' {
        $master = Start-SentinelMaster -Port 0 -DataPath $data
        $master | Stop-SentinelMaster -WhatIf
        $master.Status | Should -Be 'Running'
        $stopped = $master | Stop-SentinelMaster -PassThru
        $stopped.Status | Should -Be 'Stopped'
    }

    It 'stops the master and returns the session to the local machine' {
        $master = Start-SentinelMaster -Port 0 -DataPath $data
        Stop-SentinelMaster
        $master.Status | Should -Be 'Stopped'
        (Get-SentinelMachine).Source | Should -Be 'local'
    }
}
