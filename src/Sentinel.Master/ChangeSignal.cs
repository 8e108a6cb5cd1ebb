namespace Sentinel.Master;

/// <summary>
/// Wakes everyone waiting on one thing (a command run, a job) when it changes. Waiters take <see cref="Next"/> while
/// they read the thing's state (under the owner's lock), so a change after that read completes the task they hold;
/// <see cref="Fire"/> swaps in a fresh task. Any number of waiters share one task: a change costs one completion,
/// whatever the number of long-polls on it.
/// </summary>
internal sealed class ChangeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Fire"/>.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>Wakes the current waiters; later ones wait for the change after this.</summary>
    public void Fire()
        => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// Waits for <paramref name="change"/> (a <see cref="Next"/> taken earlier), at most <paramref name="wait"/>. True when it came;
    /// false when the time ran out or <paramref name="cancellationToken"/> fired (the caller answers with what there is either way).
    /// </summary>
    public static async Task<bool> WaitAsync(Task change, TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        if (change.IsCompleted) return true;
        try
        {
            await change.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }
}
