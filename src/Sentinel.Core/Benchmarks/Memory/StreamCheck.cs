namespace Sentinel.Benchmarks.Memory;

/// <summary>
/// STREAM's checkSTREAMresults: the arrays start as a = 1, b = 2, c = 0 and every pass runs copy, scale,
/// add, triad in order, so after <c>passes</c> passes every element equals the values a scalar model of the
/// same operations reaches. Stricter than STREAM (which compares the average error): every element is
/// checked, so one corrupted element fails the run.
/// </summary>
internal static unsafe class StreamCheck
{
    /// <summary>STREAM's tolerance for doubles, relative.</summary>
    public const double Epsilon = 1e-13;

    /// <summary>The expected a, b, c after <paramref name="passes"/> passes.</summary>
    public static (double A, double B, double C) Expected(int passes)
    {
        double a = 1.0, b = 2.0, c = 0.0;
        for (int k = 0; k < passes; k++)
        {
            c = a;
            b = StreamKernels.Scalar * c;
            c = a + b;
            a = b + StreamKernels.Scalar * c;
        }
        return (a, b, c);
    }

    /// <summary><see cref="Verify(double*, double*, double*, long, int, double?)"/> on buffers, for safe code.</summary>
    public static string? Verify(NativeBuffer a, NativeBuffer b, NativeBuffer c, long n, int passes, double? readSum)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n * sizeof(double), Math.Min(a.Length, Math.Min(b.Length, c.Length)));
        return Verify(a.Doubles, b.Doubles, c.Doubles, n, passes, readSum);
    }

    /// <summary>
    /// Null when all <paramref name="n"/> elements of each array hold the expected value after <paramref name="passes"/>
    /// passes and the read kernel's last sum (when given) is n times a; otherwise what is wrong, naming the array and element.
    /// </summary>
    public static string? Verify(double* a, double* b, double* c, long n, int passes, double? readSum)
    {
        var (ea, eb, ec) = Expected(passes);
        foreach (var (name, array, expected) in new[] { ("a", (nint)a, ea), ("b", (nint)b, eb), ("c", (nint)c, ec) })
        {
            var p = (double*)array;
            double tolerance = Epsilon * Math.Abs(expected);
            long bad = 0, first = -1;
            for (long j = 0; j < n; j++)
            {
                if (!(Math.Abs(p[j] - expected) <= tolerance))
                {
                    if (first < 0) first = j;
                    bad++;
                }
            }
            if (bad > 0)
            {
                return FormattableString.Invariant(
                    $"validation failed: array {name} has {bad} of {n} elements wrong (element {first} is {p[first]:R}, expected {expected:R})");
            }
        }
        if (readSum is { } sum)
        {
            // n additions in a few chains: the classic bound for recursive summation is n * 2^-53 relative.
            double expectedSum = ea * n;
            if (!(Math.Abs(sum - expectedSum) <= Math.Max(1e-12, n * 1.1102230246251565E-16) * Math.Abs(expectedSum)))
            {
                return FormattableString.Invariant($"validation failed: the read kernel summed {sum:R}, expected {expectedSum:R}");
            }
        }
        return null;
    }
}
