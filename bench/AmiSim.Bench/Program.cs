using AmiSim.Bench;
using Spectre.Console.Cli;

// A fleet run sizes the heap for its fleet as amisim run does (the bench is its own process too).
AmiSim.Host.Run.HeapBudget.OwnsProcess = true;
var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("amisim-bench");
    config.AddCommand<KernelBenchmark>("kernel")
        .WithDescription("Synthetic traffic through the kernel: events/s and bytes per LP.");
    config.AddCommand<FleetBenchmark>("fleet")
        .WithDescription("A whole run of a fleet scenario: wall time, events/s, peak memory, bytes per meter, journal writes/s, digest.");
    config.AddCommand<MeterMemoryBenchmark>("meter-memory")
        .WithDescription("Heap bytes per meter (NIC + board), idle and mid-transfer.");
    config.AddCommand<CimBenchmark>("cim")
        .WithDescription("CIM messages per second from the head-end's client to an MDM web service (amisim mdm).");
    config.AddCommand<PositionsBenchmark>("positions")
        .WithDescription("Builds a network from positions (link budget, least-ETX routes): wall time, depths, unreachable meters.");
});
return await app.RunAsync(args);
