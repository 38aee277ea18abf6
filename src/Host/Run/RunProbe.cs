using AmiSim.Kernel;
using AmiSim.Meter;
using AmiSim.Mesh.Topology;
using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Network;
using AmiSim.Protocol.Psem;

namespace AmiSim.Host.Run;

/// <summary>
/// One meter's tables as a supervisor read them from the live run, through PSEM full reads of ST0, ST1
/// and MT100 handled by its metrology board as the NIC's reads are (the test kit's path): at virtual
/// time <see cref="At"/>; <see cref="Unreadable"/> says why not when the board did not answer.
/// </summary>
public sealed record MeterTables(SimTime At, GeneralManufacturerIdTable? St1, ImageTransferControlTable? Transfer, string? Unreadable);

/// <summary>
/// The live run's meters, for a supervisor. A read waits for the step in progress to end (the run holds
/// the probe while it steps), so what it shows is the meter at the virtual time the run stands at; reads
/// change nothing in the run. Once the run has stopped its simulation, reads say so.
/// </summary>
public sealed class RunProbe(Simulation simulation, NetworkTopology network)
{
    /// <summary>How long a read waits for the run's step in progress before it gives up.</summary>
    public static readonly TimeSpan StepWait = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _between = new(1, 1);
    private readonly HashSet<long> _meters = [.. network.Meters.Select(m => m.Meter.Value)];
    private volatile bool _stopped;

    /// <summary>Whether <paramref name="meter"/> is one of the network's reachable meters (the ones the run simulates).</summary>
    public bool Simulates(MeterId meter) => _meters.Contains(meter.Value);

    /// <summary>Runs one step of the run; reads wait for it.</summary>
    internal async Task<T> StepAsync<T>(Func<Task<T>> step)
    {
        await _between.WaitAsync();
        try
        {
            return await step();
        }
        finally
        {
            _between.Release();
        }
    }

    /// <summary>The run stops its simulation: a read in progress finishes first, and reads from now on are refused.</summary>
    internal async Task StopAsync()
    {
        var free = await _between.WaitAsync(AskTimeout);
        _stopped = true;
        if (free) _between.Release();
    }

    /// <summary>Reads <paramref name="meter"/>'s ST0, ST1 and MT100. <exception cref="TimeoutException">the run's step did not end within <see cref="StepWait"/>.</exception></summary>
    public async Task<MeterTables> ReadAsync(MeterId meter, CancellationToken cancellation)
    {
        if (!Simulates(meter)) throw new ArgumentException($"meter {meter.Value} is not simulated in this run", nameof(meter));
        if (!await _between.WaitAsync(StepWait, cancellation)) throw new TimeoutException($"the run's step did not end within {StepWait.TotalSeconds:0} s");
        try
        {
            var at = simulation.Now;
            if (_stopped) return new MeterTables(at, null, null, "the run has stopped: its meters can no longer be read");
            MeterProtocol.TablesRead read;
            try
            {
                read = await simulation.AskLpAsync<MeterProtocol.TablesRead>(MeterSetup.LpOf(meter),
                    new MeterProtocol.ReadTables(Tables.GeneralConfig, Tables.GeneralManufacturerId, Tables.ImageTransferControl), AskTimeout);
            }
            catch (InvalidOperationException refused)
            {
                return new MeterTables(at, null, null, refused.Message);
            }
            var (st0, st1, mt100) = (read.Responses[0], read.Responses[1], read.Responses[2]);
            string? Problem(PsemResponse response, string table) => response.IsOk ? null : $"reading {table} answered {response.Code}";
            if ((Problem(st0, "ST0") ?? Problem(st1, "ST1")) is { } problem) return new MeterTables(at, null, null, problem);
            var config = GeneralConfigTable.Decode(st0.Data.Span);
            return new MeterTables(at, GeneralManufacturerIdTable.Decode(st1.Data.Span),
                mt100.IsOk ? ImageTransferControlTable.Decode(mt100.Data.Span, config.DataOrder) : null, null);
        }
        finally
        {
            _between.Release();
        }
    }
}
