using Sentinel.Bench;

// Benchmarks print figures and ratios against a reference run in the same process; they assert nothing.
var suites = new Dictionary<string, Action<string[]>>(StringComparer.OrdinalIgnoreCase)
{
    ["sample"] = SampleCost.Run,
    ["sample-breakdown"] = SampleBreakdown.Run,
};
var name = args.Length > 0 ? args[0] : "sample";
if (!suites.TryGetValue(name, out var suite))
{
    Console.Error.WriteLine($"unknown suite '{name}'; suites: {string.Join(", ", suites.Keys)}");
    return 2;
}
suite(args.Skip(1).ToArray());
return 0;
