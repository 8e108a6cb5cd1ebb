Describe 'Export-SentinelReport' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $dir = [System.IO.Directory]::CreateTempSubdirectory('sentinel-pester-report-').FullName
    }

    AfterAll {
        [System.IO.Directory]::Delete($dir, $true)
    }

    It 'writes one self-contained HTML file of this machine' {
        $path = [System.IO.Path]::Combine($dir, 'local.html')
        $file = Get-SentinelMachine | Export-SentinelReport -Path $path -PassThru
        $file.FullName | Should -Be $path
        $html = [System.IO.File]::ReadAllText($path)
        $html | Should -BeLike '*<h1>Sentinel report</h1>*'
        $html | Should -BeLike "*$HostName*"
    }

    It 'leaves an existing file alone without -Force' {
        $path = [System.IO.Path]::Combine($dir, 'exists.html')
        [System.IO.File]::WriteAllText($path, 'keep me')
        $err = $null
        try { Export-SentinelReport -Path $path -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.FileExists,*'
        $err.ErrorDetails.RecommendedAction | Should -BeLike '*-Force*'
        [System.IO.File]::ReadAllText($path) | Should -Be 'keep me'
        $null = Export-SentinelReport -Path $path -Force
        [System.IO.File]::ReadAllText($path) | Should -BeLike '*<h1>Sentinel report</h1>*'
    }

    It 'writes nothing under -WhatIf' {
        $path = [System.IO.Path]::Combine($dir, 'whatif.html')
        Export-SentinelReport -Path $path -WhatIf
        [System.IO.File]::Exists($path) | Should -BeFalse
    }
}
