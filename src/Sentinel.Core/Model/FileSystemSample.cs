namespace Sentinel;

/// <summary>Space on one mounted file system (pseudo file systems are left out).</summary>
public sealed class FileSystemSample
{
    public required string MountPoint { get; init; }
    public required string Device { get; init; }
    public required string Type { get; init; }
    public long TotalBytes { get; init; }
    /// <summary>Total less free blocks, as df counts it.</summary>
    public long UsedBytes { get; init; }
    /// <summary>Space an unprivileged user may still write.</summary>
    public long AvailableBytes { get; init; }
    /// <summary>used / (used + available), as df's Use% column.</summary>
    public double UsedPercent { get; init; }
}
