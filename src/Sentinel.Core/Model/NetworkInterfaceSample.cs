namespace Sentinel;

/// <summary>Traffic on one network interface over the sample's interval.</summary>
public sealed class NetworkInterfaceSample
{
    public required string Name { get; init; }
    public bool IsLoopback { get; init; }
    public double ReceiveBytesPerSecond { get; init; }
    public double TransmitBytesPerSecond { get; init; }
    public double ReceivePacketsPerSecond { get; init; }
    public double TransmitPacketsPerSecond { get; init; }
    public double ReceiveErrorsPerSecond { get; init; }
    public double TransmitErrorsPerSecond { get; init; }
    public double ReceiveDropsPerSecond { get; init; }
    public double TransmitDropsPerSecond { get; init; }
}
