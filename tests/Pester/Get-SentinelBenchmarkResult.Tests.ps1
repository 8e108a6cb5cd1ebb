Describe 'Get-SentinelBenchmarkResult' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $marker = [guid]::NewGuid().ToString('N')
        $null = Invoke-SentinelBenchmark -Name Command -Command echo -ArgumentList "$marker-1"
        $null = Invoke-SentinelBenchmark -Name Command -Command echo -ArgumentList "$marker-2"
    }

    It 'returns this session''s results newest first when no master is connected' {
        $mine = @(Get-SentinelBenchmarkResult -Name Command -Last 1000 | Where-Object { "$($_.Output)" -like "*$marker*" })
        $mine.Count | Should -Be 2
        "$($mine[0].Output)" | Should -BeLike "*$marker-2*"
        "$($mine[1].Output)" | Should -BeLike "*$marker-1*"
    }

    It 'returns at most -Last results' {
        @(Get-SentinelBenchmarkResult -Last 1).Count | Should -Be 1
    }

    It 'refuses an unknown benchmark' {
        $err = $null
        try { Get-SentinelBenchmarkResult -Name Nope -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'Sentinel.UnknownBenchmark,*'
    }
}
