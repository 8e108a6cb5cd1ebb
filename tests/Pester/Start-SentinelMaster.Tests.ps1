Describe 'Start-SentinelMaster' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $data = [System.IO.Directory]::CreateTempSubdirectory('sentinel-pester-').FullName
        $master = Start-SentinelMaster -Port 0 -DataPath $data
    }

    AfterAll {
        Stop-SentinelMaster
        [System.IO.Directory]::Delete($data, $true)
    }

    It 'returns a running master on loopback and connects the session to it' {
        $master.Url | Should -Match '^http://127\.0\.0\.1:\d+$'
        $master.Status | Should -Be 'Running'
        $master.DataPath | Should -Be $data
        [System.IO.File]::Exists([System.IO.Path]::Combine($data, 'sentinel.db')) | Should -BeTrue
        @(Get-SentinelMachine).Count | Should -Be 0
    }

    It 'refuses a port in use, naming it, and stays connected to the first master' {
        $err = $null
        try { Start-SentinelMaster -Port $master.Port -DataPath ($data + '-2') -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.MasterStartFailed,*'
        $err.CategoryInfo.Category.ToString() | Should -Be 'ResourceUnavailable'
        $err.ToString() | Should -BeLike "*$($master.Port)*"
    }

    It 'starts nothing under -WhatIf' {
        $null = Start-SentinelMaster -Port 0 -DataPath ($data + '-whatif') -WhatIf
        [System.IO.Directory]::Exists($data + '-whatif') | Should -BeFalse
    }
}
