using Akka.Actor;
using Akka.TestKit.Xunit2;
using AmiSim.Kernel.Synthetic;
using Xunit;
using static AmiSim.Kernel.KernelProtocol;

namespace AmiSim.Kernel.Tests;

/// <summary>The hand-over's barrier in one process: a lost partition must not leave the others waiting.</summary>
public sealed class HandOverTests : TestKit
{
    private static readonly SyntheticTrafficOptions Options = new() { Lps = 600, TokensPerLp = 2 };

    /// <summary>
    /// A partition crashes after its window report reached the coordinator but before the events it
    /// counted in it reached their partitions (they travel on other connections, so a crash can lose
    /// one and not the other). The partitions waiting for those events stop waiting when it is known
    /// lost; its successor sends them again; the run ends as one process ends it.
    /// </summary>
    [Fact]
    public Task A_partition_lost_after_reporting_events_that_never_arrived_does_not_leave_the_others_waiting() =>
        RunWithPartition2LostInTransit(lostAtStart: 1);

    /// <summary>
    /// As above, but the partition is lost only once the next window has started: the others'
    /// starts wait for the events it counted, so the coordinator has them give their starts up
    /// (<see cref="AbandonStart"/>), rebuilds it, and starts the window again.
    /// </summary>
    [Fact]
    public Task A_partition_lost_while_the_others_wait_to_start_on_its_events_has_them_give_up_their_start() =>
        EventFilter.Warning(contains: "give their start of epoch").ExpectOneAsync(() => RunWithPartition2LostInTransit(lostAtStart: 2));

    private async Task RunWithPartition2LostInTransit(int lostAtStart)
    {
        var settings = new KernelSettings { Lookahead = TimeSpan.FromMilliseconds(20), Seed = 3, Partitions = 3, HandOver = true };
        var until = SimTime.FromSeconds(0.5);
        var model = new SyntheticTraffic(Options);
        var partitions = new List<IActorRef>
        {
            Simulation.StartPartition(Sys, 0, settings, model),
            Simulation.StartPartition(Sys, 1, settings, model),
            Sys.ActorOf(Props.Create(() => new PartitionLostInTransit(lostAtStart)), "lost-partition-2"),
        };
        var rebuilt = 0;
        var simulation = Simulation.Across(Sys, settings, partitions, rehost: index =>
        {
            rebuilt++;
            return Task.FromResult(Simulation.StartPartition(Sys, index, settings, model, name: "successor"));
        });
        model.Seed(simulation);

        var run = await simulation.RunAsync(until).WaitAsync(TimeSpan.FromSeconds(60)); // without the fix: a stall, never an answer

        var alone = new SyntheticTraffic(Options);
        var single = Simulation.Create(Sys, settings with { Partitions = 1, HandOver = false }, alone, name: "alone");
        alone.Seed(single);
        var expected = await single.RunAsync(until);
        Assert.Equal(1, rebuilt);
        Assert.Equal(expected.EventsHandled, run.EventsHandled);
        Assert.True(run.EventsHandled > 1_000, $"the model should be busy, handled {run.EventsHandled}");
        Assert.Equal(alone.Digests, model.Digests);
    }

    /// <summary>
    /// Partition 2 as a crash leaves it: it answers the first sync (its events could start at zero),
    /// reports its first window as having sent five events to each other partition, sends none of
    /// them, and stops when told to start window number <paramref name="lostAtStart"/>.
    /// </summary>
    private sealed class PartitionLostInTransit(int lostAtStart) : UntypedActor
    {
        private IActorRef _coordinator = ActorRefs.Nobody;
        private int _starts;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case PartitionTopology topology:
                    _coordinator = topology.Coordinator;
                    break;
                case InjectEvents inject:
                    Sender.Tell(new EventsInjected(inject.Events.Count));
                    break;
                case SyncEpoch sync:
                    _coordinator.Tell(new EpochSynced(sync.Epoch, 2, SimTime.Zero, QuietPromise.None));
                    break;
                case StartEpoch start:
                    if (++_starts == 1)
                        _coordinator.Tell(new EpochExecuted(start.Epoch, 2, [5, 5, 0], [SimTime.Zero, SimTime.Zero, SimTime.Never], [0, 0, 0], SimTime.Zero, 0, false, 1, SimTime.Zero, QuietPromise.None));
                    if (_starts == lostAtStart) Context.Stop(Self);
                    break;
            }
        }
    }
}
