# A stand-in for the few Pester 5 commands the specs in tests/Pester use (Describe, It, BeforeAll, AfterAll,
# Should with -Be, -BeLike, -Match, -Contain, -BeGreaterThan, -BeGreaterOrEqual, -BeNullOrEmpty, -BeTrue,
# -BeFalse and -Not), so the hosted engine can run them where Pester cannot be installed. Like Pester 5,
# BeforeAll runs once per Describe in a scope each It can read; a failing It does not stop the next.
# It is not Pester: real Pester runs the same files through build.ps1 -Test.

$global:MiniPesterResults = [System.Collections.Generic.List[object]]::new()
$global:MiniPesterDescribe = $null

function Describe {
    param([Parameter(Position = 0)] [string] $Name, [Parameter(Position = 1)] [scriptblock] $Fixture)
    $outer = $global:MiniPesterDescribe
    $block = @{
        Name = $Name
        BeforeAll = [System.Collections.Generic.List[scriptblock]]::new()
        AfterAll = [System.Collections.Generic.List[scriptblock]]::new()
        Its = [System.Collections.Generic.List[object]]::new()
    }
    $global:MiniPesterDescribe = $block
    try { $null = . $Fixture } finally { $global:MiniPesterDescribe = $outer }

    $setupFailure = $null
    try {
        foreach ($b in $block.BeforeAll) { $null = . $b }
    }
    catch {
        $setupFailure = "BeforeAll failed: $_ $($_.InvocationInfo.PositionMessage)"
    }
    foreach ($it in $block.Its) {
        $failure = $setupFailure
        if (-not $failure) {
            try { $null = & $it.Test }
            catch { $failure = "$_ $($_.InvocationInfo.PositionMessage)" }
        }
        $global:MiniPesterResults.Add([pscustomobject]@{ Describe = $Name; It = $it.Name; Passed = (-not $failure); Failure = $failure })
    }
    foreach ($a in $block.AfterAll) {
        try { $null = . $a }
        catch { $global:MiniPesterResults.Add([pscustomobject]@{ Describe = $Name; It = 'AfterAll'; Passed = $false; Failure = "$_ $($_.InvocationInfo.PositionMessage)" }) }
    }
}

function BeforeAll {
    param([Parameter(Position = 0)] [scriptblock] $Scriptblock)
    $global:MiniPesterDescribe.BeforeAll.Add($Scriptblock)
}

function AfterAll {
    param([Parameter(Position = 0)] [scriptblock] $Scriptblock)
    $global:MiniPesterDescribe.AfterAll.Add($Scriptblock)
}

function It {
    param([Parameter(Position = 0)] [string] $Name, [Parameter(Position = 1)] [scriptblock] $Test)
    $global:MiniPesterDescribe.Its.Add(@{ Name = $Name; Test = $Test })
}

function Should {
    param(
        [Parameter(ValueFromPipeline = $true)] $ActualValue,
        [Parameter(Position = 0)] $ExpectedValue,
        [switch] $Not, [switch] $Be, [switch] $BeLike, [switch] $Match, [switch] $Contain,
        [switch] $BeGreaterThan, [switch] $BeGreaterOrEqual, [switch] $BeNullOrEmpty, [switch] $BeTrue, [switch] $BeFalse
    )
    begin { $items = [System.Collections.Generic.List[object]]::new() }
    process { $items.Add($ActualValue) }
    end {
        $actual = if ($items.Count -eq 1) { $items[0] } elseif ($items.Count -eq 0) { $null } else { $items.ToArray() }
        if ($Be) { $ok = $actual -eq $ExpectedValue; $what = "to be '$ExpectedValue'" }
        elseif ($BeLike) { $ok = $actual -like $ExpectedValue; $what = "to be like '$ExpectedValue'" }
        elseif ($Match) { $ok = $actual -match $ExpectedValue; $what = "to match '$ExpectedValue'" }
        elseif ($Contain) { $ok = @($actual) -contains $ExpectedValue; $what = "to contain '$ExpectedValue'" }
        elseif ($BeGreaterThan) { $ok = $actual -gt $ExpectedValue; $what = "to be greater than $ExpectedValue" }
        elseif ($BeGreaterOrEqual) { $ok = $actual -ge $ExpectedValue; $what = "to be at least $ExpectedValue" }
        elseif ($BeNullOrEmpty) { $ok = ($null -eq $actual) -or ("$actual" -eq '' -and @($actual).Count -le 1) -or (@($actual).Count -eq 0); $what = 'to be null or empty' }
        elseif ($BeTrue) { $ok = [bool] $actual; $what = 'to be true' }
        elseif ($BeFalse) { $ok = -not [bool] $actual; $what = 'to be false' }
        else { throw 'MiniPester: Should needs one of the operators it knows.' }
        if ([bool] $ok -eq [bool] $Not) {
            throw "Expected '$actual' $(if ($Not) { 'not ' })$what."
        }
    }
}
