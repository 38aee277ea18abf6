using AmiSim.Host.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("amisim");
    config.AddCommand<RunCommand>("run")
        .WithDescription("Run a simulation and write its run folder. (Until the end-to-end campaign lands, a kernel demonstration.)")
        .WithExample("run")
        .WithExample("run", "--seed", "7", "--set", "amisim.kernel.lookahead=50ms");
});
return await app.RunAsync(args);
