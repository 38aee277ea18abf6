using AmiSim.Kernel;

namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// The head-end's front-end for one collector, on its collector's partition: it hands each event to the
/// station's <see cref="StationState"/>, which decides what the station does, and performs that. Only its
/// reports and the campaign's orders cross partitions, one station latency late.
/// </summary>
public sealed class CollectorStation : SimActor
{
    private readonly StationSetup _setup;
    private LpEffects? _effects;
    private StationState? _state;

    public CollectorStation(StationSetup setup) => _setup = setup;

    public static Akka.Actor.Props Props(StationSetup setup) => Akka.Actor.Props.Create(() => new CollectorStation(setup));

    protected override void OnStart()
    {
        if (Id != StationSetup.LpOf(_setup.Collector.Collector))
            throw new InvalidOperationException($"LP {Id} is not the station of collector {_setup.Collector.Collector}");
        _effects = NewEffects();
        _state = new StationState(_setup, _effects);
    }

    protected override void OnEvent(object payload)
    {
        _state!.Handle(payload, Now);
        Perform(_effects!);
    }
}
