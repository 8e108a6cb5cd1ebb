using System.CommandLine;
using Sentinel.Security;

namespace Sentinel.Cli;

/// <summary>--ca, --pin and --allow-insecure: how a client checks an https:// master, and whether a token may go in clear text.</summary>
internal sealed class TrustOptions
{
    private readonly Option<string?> _ca = new("--ca") { Description = "A PEM file of CA certificates to trust for an https:// master, instead of the system's (the host name must still match)." };
    private readonly Option<string?> _pin = new("--pin") { Description = "Accept only the master certificate whose public key (SPKI) or whole certificate has this SHA-256 (hex or base64); chain and host name are then not checked. See docs/tls.md." };
    private readonly Option<bool> _allowInsecure = new("--allow-insecure") { Description = "Send the token over http:// (clear text) to a master that is not on loopback. Only on a network you trust; prefer https://." };

    public void AddTo(Command command)
    {
        command.Options.Add(_ca);
        command.Options.Add(_pin);
        command.Options.Add(_allowInsecure);
    }

    /// <summary>The trust the options ask for; a missing CA file or a malformed pin is a <see cref="CliException"/>.</summary>
    public MasterTrust Get(ParseResult parse)
    {
        var trust = new MasterTrust { CertificateAuthorityPath = parse.GetValue(_ca), Pin = parse.GetValue(_pin), AllowInsecure = parse.GetValue(_allowInsecure) };
        try
        {
            trust.CreateCheck();
        }
        catch (ArgumentException e)
        {
            throw new CliException((trust.Pin is not null && e.Message.StartsWith("the pin", StringComparison.Ordinal) ? "--pin: " : "--ca: ") + e.Message);
        }
        return trust;
    }
}
