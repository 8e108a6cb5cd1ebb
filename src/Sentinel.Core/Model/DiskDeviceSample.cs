namespace Sentinel;

/// <summary>I/O on one block device over the sample's interval.</summary>
public sealed class DiskDeviceSample
{
    public required string Device { get; init; }
    public double ReadBytesPerSecond { get; init; }
    public double WriteBytesPerSecond { get; init; }
    /// <summary>Completed reads per second (read IOPS).</summary>
    public double ReadsPerSecond { get; init; }
    /// <summary>Completed writes per second (write IOPS).</summary>
    public double WritesPerSecond { get; init; }
}
