using System.ComponentModel;
using System.Text.Json;
using Akka.Actor;
using AmiSim.Host.Console;
using AmiSim.Kernel;
using AmiSim.Kernel.Synthetic;
using Serilog;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim run</c>. Until the end-to-end campaign lands (issue 7) this runs a demonstration of the
/// virtual-time kernel: synthetic traffic between LPs, with the progress bar, log and a summary.
/// </summary>
public sealed class RunCommand : AsyncCommand<RunCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--seed <N>")]
        [Description("Seed of the run (overrides amisim.kernel.seed).")]
        public long? Seed { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Run folder to write (default: runs/<UTC time>).")]
        public string? Out { get; init; }

        [CommandOption("--set <KEY=VALUE>")]
        [Description("Override a configuration key, HOCON syntax; repeatable.")]
        public string[] Set { get; init; } = [];

        [CommandOption("--lps <N>")]
        [Description("Kernel demonstration: logical processes.")]
        [DefaultValue(10_000)]
        public int Lps { get; init; } = 10_000;

        [CommandOption("--virtual-seconds <S>")]
        [Description("Kernel demonstration: virtual seconds to simulate.")]
        [DefaultValue(10.0)]
        public double VirtualSeconds { get; init; } = 10;

        public override ValidationResult Validate()
        {
            if (Lps < 1) return ValidationResult.Error($"--lps must be at least 1, was {Lps}");
            if (VirtualSeconds <= 0) return ValidationResult.Error($"--virtual-seconds must be positive, was {VirtualSeconds}");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        Akka.Configuration.Config config;
        KernelSettings kernel;
        try
        {
            config = HoconLoader.Load(settings.Set);
            kernel = KernelSettings.FromConfig(config.GetConfig("amisim.kernel"));
        }
        catch (Exception error) when (error is HoconInputException or Akka.Configuration.ConfigurationException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            return 2;
        }
        if (settings.Seed is { } seed) kernel = kernel with { Seed = seed };

        var runDir = settings.Out ?? Path.Combine("runs", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss"));
        Directory.CreateDirectory(runDir);
        Logging.Start(Path.Combine(runDir, "amisim.log"));
        AnsiConsole.MarkupLine("[yellow]Note:[/] `amisim run` is a [bold]kernel demonstration[/] for now: synthetic traffic between LPs " +
                               "on the virtual-time kernel. The end-to-end programming campaign replaces it when it lands.");
        Log.Information("Kernel demonstration: {Lps} LPs, {Seconds} virtual s, seed {Seed}", settings.Lps, settings.VirtualSeconds, kernel.Seed);

        var system = ActorSystem.Create("amisim", config);
        try
        {
            var model = new SyntheticTraffic(new SyntheticTrafficOptions { Lps = settings.Lps, DirectChance = 0.1 });
            var simulation = Simulation.Create(system, kernel, model);
            model.Seed(simulation);
            var until = SimTime.FromSeconds(settings.VirtualSeconds);
            var run = await new ProgressView(until).ShowAsync(system, () => simulation.RunAsync(until, cancellation));

            var summary = new
            {
                kind = "kernel-demonstration",
                seed = kernel.Seed,
                lps = settings.Lps,
                virtualEnd = run.Time.ToUtc(kernel.EpochUtc),
                eventsHandled = run.EventsHandled,
                windows = run.Windows,
                wallSeconds = run.Wall.TotalSeconds,
                eventsPerSecond = run.EventsHandled / Math.Max(1e-9, run.Wall.TotalSeconds),
                resultDigest = model.Digest().ToString("x16"),
            };
            await File.WriteAllTextAsync(Path.Combine(runDir, "summary.json"), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }), cancellation);
            Log.Information("Run finished: {Events} events in {Windows} windows, {Wall} wall, digest {Digest}", run.EventsHandled, run.Windows, run.Wall, summary.resultDigest);
            AnsiConsole.MarkupLineInterpolated($"{run.EventsHandled:N0} events in {run.Windows:N0} windows up to virtual {run.Time}, {run.Wall.TotalSeconds:0.0} s wall ({summary.eventsPerSecond / 1e6:0.00}M events/s)");
            AnsiConsole.MarkupLineInterpolated($"result digest {summary.resultDigest}; run folder: {Path.GetFullPath(runDir)}");
            return 0;
        }
        catch (SimulationFailedException error)
        {
            Log.Error("Run failed: {Reason}", error.Message);
            AnsiConsole.MarkupLineInterpolated($"[red]run failed:[/] {error.Message}");
            return 1;
        }
        finally
        {
            await system.Terminate();
            await Logging.StopAsync();
        }
    }
}
