Describe 'Sentinel module' {
    BeforeAll {
        . $PSScriptRoot/Sentinel.TestHelpers.ps1
        $module = Get-Module Sentinel
        $approved = @([System.Management.Automation.VerbsCommon], [System.Management.Automation.VerbsCommunications],
            [System.Management.Automation.VerbsData], [System.Management.Automation.VerbsDiagnostic],
            [System.Management.Automation.VerbsLifecycle], [System.Management.Automation.VerbsOther],
            [System.Management.Automation.VerbsSecurity] | ForEach-Object { $_.GetFields() | ForEach-Object { $_.GetValue($null) } })
    }

    It 'carries the metadata a gallery needs' {
        $manifest = Test-ModuleManifest -Path $ModulePath
        $manifest.Description.Length | Should -BeGreaterThan 40
        $manifest.CompatiblePSEditions | Should -Contain 'Core'
        $manifest.PowerShellVersion | Should -Be ([version]'7.4')
        $manifest.Tags | Should -Contain 'PSEdition_Core'
        $manifest.ProjectUri.Scheme | Should -Be 'https'
        $manifest.LicenseUri.Scheme | Should -Be 'https'
        $manifest.ReleaseNotes | Should -Not -BeNullOrEmpty
    }

    It 'exports cmdlets only, each with an approved verb and a Sentinel noun' {
        $module.ExportedCmdlets.Count | Should -BeGreaterThan 0
        $module.ExportedFunctions.Count | Should -Be 0
        $module.ExportedAliases.Count | Should -Be 0
        foreach ($cmdlet in $module.ExportedCmdlets.Values) {
            $approved | Should -Contain $cmdlet.Verb
            $cmdlet.Noun | Should -BeLike 'Sentinel*'
            $cmdlet.OutputType.Count | Should -BeGreaterThan 0
        }
    }

    It 'has help with a synopsis and two examples for every cmdlet' {
        foreach ($name in $module.ExportedCmdlets.Keys) {
            $help = Get-Help $name -Full
            $help.Synopsis | Should -Not -BeLike "$name*"
            @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        }
    }

    It 'explains the model in about_Sentinel' {
        $about = (Get-Help about_Sentinel) -join "`n"
        $about | Should -BeLike '*local machine*'
        $about | Should -BeLike '*Tab completes*'
    }
}
