namespace Sentinel.Reports;

/// <summary>
/// Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the points that give a line its
/// shape, so a one-sample spike in a week of 1 s samples survives a chart of a thousand points, where
/// averaging or taking every n-th point would lose it.
/// </summary>
public static class Lttb
{
    /// <summary>
    /// The indices of the points to keep, in ascending order: all of them when there are no more than
    /// <paramref name="threshold"/>; otherwise about <paramref name="threshold"/>, always the first and the last.
    /// </summary>
    /// <param name="x">Positions, ascending (time as seconds, say).</param>
    /// <param name="y">Values; NaN marks a gap. The first point of each gap is kept, so a chart still breaks its
    /// line there, and the budget is shared among the stretches between gaps by their length. When the series
    /// is so broken up that it cannot keep two points of every stretch, the gaps are dropped instead.</param>
    /// <param name="threshold">How many points to keep; at least 3.</param>
    public static int[] Downsample(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int threshold)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException($"x has {x.Length} values and y {y.Length}; they must be pairs.", nameof(y));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 3);
        int n = x.Length;
        if (n <= threshold)
        {
            return Enumerable.Range(0, n).ToArray();
        }

        var runs = new List<(int Start, int Length)>();
        var gaps = new List<int>();
        for (int i = 0; i < n;)
        {
            int start = i;
            bool missing = double.IsNaN(y[i]);
            while (i < n && double.IsNaN(y[i]) == missing) i++;
            if (missing) gaps.Add(start);
            else runs.Add((start, i - start));
        }

        var keep = new List<int>(threshold + 2);
        int budget = threshold - gaps.Count;
        int baseTotal = runs.Sum(r => Math.Min(r.Length, 2));
        if (baseTotal > budget)
        {
            // Gaps everywhere: downsample the values as if they were one stretch.
            var index = new int[n - CountMissing(y)];
            var xs = new double[index.Length];
            var ys = new double[index.Length];
            int k = 0;
            foreach (var (start, length) in runs)
            {
                for (int i = start; i < start + length; i++, k++)
                {
                    index[k] = i;
                    xs[k] = x[i];
                    ys[k] = y[i];
                }
            }
            if (index.Length <= threshold) return index;
            var picked = new List<int>(threshold);
            Run(xs, ys, 0, xs.Length, threshold, picked);
            return picked.Select(p => index[p]).ToArray();
        }

        keep.AddRange(gaps);
        // Each stretch gets its endpoints, then the rest of the budget by how much of the series it holds.
        int spare = budget - baseTotal;
        long extraTotal = runs.Sum(r => (long)(r.Length - Math.Min(r.Length, 2)));
        foreach (var (start, length) in runs)
        {
            int share = Math.Min(length, 2);
            if (extraTotal > 0)
            {
                share += (int)(spare * (long)(length - share) / extraTotal);
            }
            Run(x, y, start, length, share, keep);
        }
        if (!keep.Contains(n - 1)) keep.Add(n - 1);
        keep.Sort();
        return keep.ToArray();
    }

    private static int CountMissing(ReadOnlySpan<double> y)
    {
        int count = 0;
        foreach (var v in y)
        {
            if (double.IsNaN(v)) count++;
        }
        return count;
    }

    /// <summary>LTTB over <c>[start, start + length)</c>, which has no gaps, keeping <paramref name="count"/> points into <paramref name="into"/>.</summary>
    private static void Run(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int start, int length, int count, List<int> into)
    {
        if (count >= length)
        {
            for (int i = start; i < start + length; i++) into.Add(i);
            return;
        }
        if (count <= 2)
        {
            into.Add(start);
            if (length > 1) into.Add(start + length - 1);
            return;
        }
        int end = start + length;
        double every = (double)(length - 2) / (count - 2);
        int a = start;
        into.Add(a);
        for (int i = 0; i < count - 2; i++)
        {
            // The average of the next bucket is the third corner of each candidate's triangle.
            int avgFrom = start + (int)Math.Floor((i + 1) * every) + 1;
            int avgTo = Math.Min(start + (int)Math.Floor((i + 2) * every) + 1, end);
            if (avgFrom >= avgTo) avgFrom = avgTo - 1;
            double avgX = 0, avgY = 0;
            for (int j = avgFrom; j < avgTo; j++)
            {
                avgX += x[j];
                avgY += y[j];
            }
            avgX /= avgTo - avgFrom;
            avgY /= avgTo - avgFrom;

            int from = start + (int)Math.Floor(i * every) + 1;
            int to = Math.Min(start + (int)Math.Floor((i + 1) * every) + 1, end - 1);
            double ax = x[a], ay = y[a];
            double best = -1;
            int pick = from;
            for (int j = from; j < to; j++)
            {
                double area = Math.Abs((ax - avgX) * (y[j] - ay) - (ax - x[j]) * (avgY - ay));
                if (area > best)
                {
                    best = area;
                    pick = j;
                }
            }
            into.Add(pick);
            a = pick;
        }
        into.Add(end - 1);
    }
}
