using System.Diagnostics;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using Sentinel.Collectors.Linux;

namespace Sentinel.Collectors.Portable;

/// <summary>
/// Windows and macOS: what .NET and a few Win32 calls give without extra dependencies. CPU and memory
/// come from GetSystemTimes / GlobalMemoryStatusEx on Windows; on macOS they are not read yet (zero),
/// while disks, network, uptime and processes work everywhere.
/// </summary>
internal sealed partial class PortableReader : IMachineReader
{
    public Inventory ReadInventory()
    {
        var memory = ReadMemory();
        return new Inventory
        {
            HostName = Environment.MachineName,
            OperatingSystem = RuntimeInformation.OSDescription,
            KernelVersion = Environment.OSVersion.Version.ToString(),
            Architecture = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
            Addresses = LinuxInventory.Addresses(),
            Sockets = 1,
            Cores = Environment.ProcessorCount,
            Threads = Environment.ProcessorCount,
            NumaNodes = 1,
            MemoryTotalBytes = memory.TotalBytes,
        };
    }

    public void Read(RawReading r)
    {
        r.HasCpu = OperatingSystem.IsWindows() && ReadWindowsCpu(out r.Total);
        r.Total.Id = -1;
        r.Memory = ReadMemory();
        r.UptimeSeconds = Environment.TickCount64 / 1000.0;
        r.ProcessCount = Process.GetProcesses().Length;
        r.FileSystems = DriveInfo.GetDrives()
            .Where(d => d.DriveType == DriveType.Fixed && d.IsReady)
            .Select(d =>
            {
                long used = d.TotalSize - d.TotalFreeSpace;
                return new FileSystemSample
                {
                    MountPoint = d.RootDirectory.FullName, Device = d.Name, Type = d.DriveFormat,
                    TotalBytes = d.TotalSize, UsedBytes = used, AvailableBytes = d.AvailableFreeSpace,
                    UsedPercent = used + d.AvailableFreeSpace > 0 ? 100.0 * used / (used + d.AvailableFreeSpace) : 0,
                };
            })
            .ToArray();
        r.Nets = NetworkInterface.GetAllNetworkInterfaces()
            .Select(n =>
            {
                var s = n.GetIPStatistics();
                // Some counters are missing on macOS: they read as zero rather than failing the sample.
#pragma warning disable CA1416
                return new NetCounters
                {
                    Name = n.Name,
                    IsLoopback = n.NetworkInterfaceType == NetworkInterfaceType.Loopback,
                    RxBytes = Counter(() => s.BytesReceived), TxBytes = Counter(() => s.BytesSent),
                    RxPackets = Counter(() => s.UnicastPacketsReceived + s.NonUnicastPacketsReceived),
                    TxPackets = Counter(() => s.UnicastPacketsSent + s.NonUnicastPacketsSent),
                    RxErrors = Counter(() => s.IncomingPacketsWithErrors), TxErrors = Counter(() => s.OutgoingPacketsWithErrors),
                    RxDrops = Counter(() => s.IncomingPacketsDiscarded), TxDrops = Counter(() => s.OutgoingPacketsDiscarded),
                };
#pragma warning restore CA1416
            })
            .ToArray();
    }

    private static ulong Counter(Func<long> read)
    {
        try
        {
            return (ulong)Math.Max(0, read());
        }
        catch (PlatformNotSupportedException)
        {
            return 0;
        }
    }

    private static MemorySample ReadMemory()
    {
        if (OperatingSystem.IsWindows())
        {
            var status = new MemoryStatusEx { Length = (uint)Marshal.SizeOf<MemoryStatusEx>() };
            if (GlobalMemoryStatusEx(ref status))
            {
                long total = (long)status.TotalPhys, available = (long)status.AvailPhys;
                return new MemorySample
                {
                    TotalBytes = total, AvailableBytes = available, UsedBytes = total - available,
                    UsedPercent = total > 0 ? 100.0 * (total - available) / total : 0,
                };
            }
        }
        return new MemorySample { TotalBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes };
    }

    private static bool ReadWindowsCpu(out CpuTimes times)
    {
        times = default;
        if (!GetSystemTimes(out var idle, out var kernel, out var user))
        {
            return false;
        }
        // Kernel time includes idle time on Windows.
        times.Idle = idle;
        times.System = kernel - idle;
        times.User = user;
        return true;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MemoryStatusEx
    {
        public uint Length, MemoryLoad;
        public ulong TotalPhys, AvailPhys, TotalPageFile, AvailPageFile, TotalVirtual, AvailVirtual, AvailExtendedVirtual;
    }

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GlobalMemoryStatusEx(ref MemoryStatusEx buffer);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GetSystemTimes(out ulong idle, out ulong kernel, out ulong user);

    public void Dispose()
    {
    }
}
