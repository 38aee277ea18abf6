using AmiSim.Bench;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("amisim-bench");
    config.AddCommand<KernelBenchmark>("kernel")
        .WithDescription("Synthetic traffic through the kernel: events/s and bytes per LP.");
});
return await app.RunAsync(args);
