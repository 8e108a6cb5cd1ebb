using System.Runtime.InteropServices;

namespace Sentinel.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM (systemd stop, Slurm's scancel) as a cancellation token, with the
/// default "terminate now" cancelled, so agents say goodbye and masters flush their store first.
/// </summary>
internal sealed class Signals : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly List<PosixSignalRegistration> _registrations = [];

    private Signals(CancellationToken outer)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                ConsoleLog.Line($"received {context.Signal}, shutting down");
                _cts.Cancel();
            }));
        }
    }

    public CancellationToken Token => _cts.Token;

    /// <summary>A token cancelled by SIGINT, SIGTERM or <paramref name="outer"/>.</summary>
    public static Signals Watch(CancellationToken outer) => new(outer);

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
