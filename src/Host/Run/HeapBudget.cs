using Akka.Configuration;

namespace AmiSim.Host.Run;

/// <summary>
/// The garbage collector's heap limit for a run (<c>amisim.heap-limit</c>): "auto" sizes it from the
/// fleet, a size (<c>2GiB</c>) sets it, "off" leaves the runtime's default. Without a limit the server
/// collector lets the heap grow to about twice what is alive; with one it collects sooner and the run
/// stays within it (docs/PERFORMANCE.md).
/// A limit the process was started with (<c>DOTNET_GCHeapHardLimit</c>, or the runtime configuration)
/// wins. The limit is the whole process's, so only a process that is the <c>amisim</c> command itself
/// sets it (<see cref="OwnsProcess"/>), never a test host.
/// </summary>
public static class HeapBudget
{
    public const string Key = "amisim.heap-limit";

    /// <summary>The runtime, Akka, the program image and the topology, whatever the fleet.</summary>
    private const ulong Fixed = 256UL << 20;

    /// <summary>Per meter: at most 7.3 KiB (fleet-100k) to 7.9 KiB (fleet-1m) alive, and room to collect.</summary>
    private const ulong PerMeter = 9UL << 10;

    /// <summary>Set by the <c>amisim</c> program (and the bench): this process runs one scenario, so its heap may be sized for it.</summary>
    public static bool OwnsProcess { get; set; }

    /// <summary>The limit "auto" gives a fleet of <paramref name="meters"/>.</summary>
    public static ulong Auto(int meters) => Fixed + (ulong)meters * PerMeter;

    /// <summary>
    /// Applies <see cref="Key"/> from <paramref name="config"/> for a fleet of <paramref name="meters"/>; returns
    /// what was done, for the log (null: nothing, this process is not the amisim command).
    /// </summary>
    /// <exception cref="ConfigurationException">the key is neither auto, off nor a size.</exception>
    public static string? Apply(Config config, int meters)
    {
        var setting = config.GetString(Key, "auto").Trim();
        ulong limit;
        if (setting.Equals("auto", StringComparison.OrdinalIgnoreCase)) limit = Auto(meters);
        else if (setting.Equals("off", StringComparison.OrdinalIgnoreCase)) return OwnsProcess ? "heap limit: off (the runtime's default)" : null;
        else limit = Size(config, setting);
        if (!OwnsProcess) return null;
        if (StartedWithLimit() is { } given) return $"heap limit: {given >> 20:N0} MiB, as the process was started (not {Key})";
        // Never below what the process already holds (a large scenario file is parsed before the limit is set).
        limit = Math.Max(limit, (ulong)GC.GetGCMemoryInfo().HeapSizeBytes * 2 + Fixed);
        AppContext.SetData("GCHeapHardLimit", limit);
        try
        {
            GC.RefreshMemoryLimit();
        }
        catch (InvalidOperationException error)
        {
            AppContext.SetData("GCHeapHardLimit", null);
            return $"heap limit: the runtime's default ({Key} = {setting} was refused by the runtime: {error.Message})";
        }
        return $"heap limit: {limit >> 20:N0} MiB ({Key} = {setting}, {meters:N0} meters)";
    }

    /// <summary>
    /// Why a fleet of <paramref name="meters"/> cannot run in this process with the limit "auto" gives
    /// (<see cref="Auto"/> more than the memory the runtime may use: the machine's, or a limit the process
    /// was started with); null when it fits, or when <see cref="Key"/> is set to off or a size (the user's call).
    /// </summary>
    public static string? TooLarge(Config config, int meters)
    {
        if (!config.GetString(Key, "auto").Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return null;
        var needed = Auto(meters);
        var available = (ulong)GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (needed <= available) return null;
        return $"a fleet of {meters:N0} meters needs about {needed / (double)(1UL << 30):0.0} GiB of heap ({PerMeter >> 10} KiB a meter, docs/PERFORMANCE.md), " +
               $"more than the {available / (double)(1UL << 30):0.0} GiB this process may use: run it across nodes (--cluster), " +
               $"or set {Key} to a size (or off) to try it anyway";
    }

    /// <summary>Checks <see cref="Key"/> without applying it. <exception cref="ConfigurationException">neither auto, off nor a size.</exception></summary>
    public static void Check(Config config)
    {
        var setting = config.GetString(Key, "auto").Trim();
        if (!setting.Equals("auto", StringComparison.OrdinalIgnoreCase) && !setting.Equals("off", StringComparison.OrdinalIgnoreCase)) Size(config, setting);
    }

    private static ulong Size(Config config, string setting)
    {
        long? bytes;
        try
        {
            bytes = config.GetByteSize(Key);
        }
        catch (Exception error) when (error is FormatException or ConfigurationException or ArgumentException or OverflowException)
        {
            bytes = null;
        }
        return bytes is > 0 ? (ulong)bytes.Value : throw new ConfigurationException($"{Key} = \"{setting}\": expected auto, off or a size such as 2GiB");
    }

    /// <summary>A limit from the environment or the runtime configuration, if the process has one.</summary>
    private static ulong? StartedWithLimit()
    {
        foreach (var name in new[] { "DOTNET_GCHeapHardLimit", "COMPlus_GCHeapHardLimit" })
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } hex && ulong.TryParse(hex.Replace("0x", "", StringComparison.OrdinalIgnoreCase), System.Globalization.NumberStyles.HexNumber, null, out var fromEnvironment))
                return fromEnvironment;
        return AppContext.GetData("GCHeapHardLimit") switch
        {
            ulong configured when configured > 0 => configured,
            long configured when configured > 0 => (ulong)configured,
            _ => null,
        };
    }
}
