using System.Management.Automation;
using System.Security;

namespace Sentinel.PowerShell;

/// <summary>
/// Lets a SecureString parameter (a token) take a SecureString — Read-Host -AsSecureString, a credential's Password,
/// Get-Secret — or plain text, which becomes a read-only SecureString. Every Sentinel token parameter is a SecureString
/// and takes both, so a script can pass what it has; anything else is refused by name.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SecretTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        switch (value)
        {
            case null:
                return null;
            case SecureString secure:
                return secure;
            case PSCredential credential:
                return credential.Password;
            case string text:
                var result = new SecureString();
                foreach (var c in text) result.AppendChar(c);
                result.MakeReadOnly();
                return result;
            default:
                throw new ArgumentTransformationMetadataException($"A token is text or a SecureString, not a {value.GetType().Name}.");
        }
    }

    /// <summary>The plain text of a token parameter, for the engine (which sends it), or null.</summary>
    internal static string? Reveal(SecureString? secret) => secret is null ? null : new System.Net.NetworkCredential("", secret).Password;
}
