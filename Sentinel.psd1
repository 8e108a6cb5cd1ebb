@{
    RootModule           = 'Sentinel.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6b0c2f4e-0d55-4a8e-9a43-5e1f0b9d7c21'
    Author               = 'The Sentinel authors'
    CompanyName          = 'Sentinel'
    Copyright            = '(c) The Sentinel authors. MIT licence.'
    Description          = 'Cluster monitor and benchmark orchestrator: live CPU, memory, disk, network and GPU metrics for one machine or a fleet, benchmarks run side by side, self-contained reports.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('Sentinel.format.ps1xml')
    CmdletsToExport      = @(
        'Get-SentinelMachine'
        'Remove-SentinelMachine'
        'Get-SentinelMetric'
        'Start-SentinelMaster'
        'Stop-SentinelMaster'
        'Start-SentinelAgent'
        'Stop-SentinelAgent'
        'Connect-SentinelMaster'
        'Disconnect-SentinelMaster'
        'Invoke-SentinelBenchmark'
        'Get-SentinelBenchmarkResult'
        'Export-SentinelReport'
        'Invoke-SentinelCommand'
        'Get-SentinelAuditLog'
        'Get-SentinelAlert'
        'Confirm-SentinelAlert'
        'Suspend-SentinelAlert'
        'Resume-SentinelAlert'
        'Register-SentinelAlertAction'
        'Get-SentinelAlertRule'
        'New-SentinelAlertRule'
        'Set-SentinelAlertRule'
        'Remove-SentinelAlertRule'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('monitoring', 'benchmark', 'cluster', 'hpc', 'slurm', 'gpu', 'metrics', 'Linux', 'PSEdition_Core')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ProjectUri   = 'https://github.com/sentinel-monitor/sentinel'
            ReleaseNotes = 'Reports: Export-SentinelReport writes one self-contained HTML file (plotly.js inside, opens offline) of piped machines, metrics or benchmark results, or of the whole fleet: summary, downsampled history, benchmark comparison with outliers flagged, inventory. Benchmarks: Invoke-SentinelBenchmark on this machine or piped machines of a master (progress per machine, -AsJob), Get-SentinelBenchmarkResult. Fleet: masters and agents (Start-/Stop-SentinelMaster, Start-/Stop-SentinelAgent, Connect-/Disconnect-SentinelMaster), Get-SentinelMachine across a fleet, Get-SentinelMetric history. Get-SentinelMachine reports this machine''s live metrics and hardware with no set-up.'
        }
    }
}
