using System.Collections;
using System.Management.Automation;
using Sentinel.Agent;

namespace Sentinel.PowerShell.Commands;

/// <summary>Starts an agent in this session, in the background: it samples this machine and sends to a master.</summary>
[Cmdlet(VerbsLifecycle.Start, "SentinelAgent", SupportsShouldProcess = true)]
[OutputType(typeof(SentinelAgentInstance))]
public sealed class StartSentinelAgentCommand : SentinelCmdlet
{
    /// <summary>The master's URL, e.g. http://login01:8080 (or a master object from Start-SentinelMaster).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Url")]
    [ValidateNotNullOrEmpty]
    public string Master { get; set; } = "";

    /// <summary>This machine's name in the fleet (default: the host name).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>Time between samples (default 1s): 500ms, 5s, a number of seconds, or a TimeSpan.</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The master's agent token, if it requires one: text or a SecureString.</summary>
    [Parameter]
    [SecretTransformation]
    public System.Security.SecureString? Token { get; set; }

    /// <summary>Command lines the master may run on this machine (Invoke-SentinelCommand and the Command benchmark), as glob patterns
    /// matched against the whole line: 'nvidia-smi', 'nvidia-smi *'. None by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AllowCommand { get; set; }

    /// <summary>Labels, e.g. @{ rack = 'b7'; role = 'gpu' }. Under Slurm the job, node and array index are added.</summary>
    [Parameter]
    public Hashtable? Tag { get; set; }

    /// <summary>A PEM file of CA certificates to trust for an https:// master, instead of the system's store.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificateAuthority { get; set; }

    /// <summary>Accept only the master certificate whose public key or whole certificate has this SHA-256 (hex or base64).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificatePin { get; set; }

    /// <summary>Send the token over http:// to a master that is not on loopback (clear text; only on a trusted network).</summary>
    [Parameter]
    public SwitchParameter AllowInsecure { get; set; }

    protected override void ProcessRecord()
    {
        if (!Uri.TryCreate(Master, UriKind.Absolute, out var url) || (url.Scheme != "http" && url.Scheme != "https"))
        {
            WriteError(Error("InvalidUrl", ErrorCategory.InvalidArgument, Master, $"'{Master}' is not an http:// or https:// URL.", "Use the master's URL, e.g. http://login01:8080."));
            return;
        }
        if (AgentOptions.IntervalProblem(Interval) is { } problem)
        {
            WriteError(Error("InvalidInterval", ErrorCategory.InvalidArgument, Interval, $"-Interval {problem}.", "Use an interval such as 1s or 5s."));
            return;
        }
        var tags = HostIdentity.SlurmTags();
        foreach (DictionaryEntry e in Tag ?? new Hashtable())
        {
            tags[e.Key.ToString()!] = e.Value?.ToString() ?? "";
        }
        var name = Name ?? HostIdentity.HostName();
        try
        {
            _ = new global::Sentinel.Commands.CommandPolicy(AllowCommand);
        }
        catch (ArgumentException e)
        {
            WriteError(Error("InvalidAllowCommand", ErrorCategory.InvalidArgument, AllowCommand, e.Message.Replace(" (Parameter 'patterns')", ""),
                "Give each -AllowCommand pattern as one line of printable text, e.g. 'nvidia-smi *'."));
            return;
        }
        if (!ShouldProcess($"'{name}' to {url}", "Start Sentinel agent"))
        {
            return;
        }
        var log = new LogRing();
        SentinelAgent agent;
        try
        {
            agent = new SentinelAgent(new AgentOptions
            {
                Master = url, Name = name, Interval = Interval, Token = SecretTransformationAttribute.Reveal(Token), Tags = tags, AllowCommands = AllowCommand ?? [], Log = log.Add,
                CertificateAuthorityPath = CertificateAuthority is null ? null : GetUnresolvedProviderPathFromPSPath(CertificateAuthority),
                CertificatePin = CertificatePin, AllowInsecure = AllowInsecure,
            });
        }
        catch (ArgumentException e)
        {
            // A token in clear text beyond loopback, an unreadable CA file or a malformed pin: nothing was started.
            bool clear = e.Message.StartsWith("refusing", StringComparison.Ordinal);
            WriteError(Error(clear ? "InsecureMaster" : "InvalidCertificateTrust", clear ? ErrorCategory.SecurityError : ErrorCategory.InvalidArgument, Master,
                e.Message.Replace(" (Parameter 'options')", ""), clear ? "Use https://, or -AllowInsecure on a network you trust." : "Check -CertificateAuthority and -CertificatePin."));
            return;
        }
        agent.Start();
        var instance = new SentinelAgentInstance(agent, log);
        Session.Agents.Add(instance);
        WriteObject(instance);
    }
}
