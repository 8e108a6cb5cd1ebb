namespace Sentinel.Benchmarks;

// PLACEHOLDER: being written; replaced before commit.
public static class Preflight
{
    /// <summary>What was found before a run (name → value) and what of it could spoil the figures.</summary>
    public static (Dictionary<string, string> Conditions, List<string> Warnings) Check(Inventory inventory) => ([], []);
}
