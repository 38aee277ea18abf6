using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;
using Akka.TestKit.Xunit2;
using CsCheck;
using Xunit;

namespace AmiSim.Kernel.Tests;

public sealed class LpMailboxTests : TestKit
{
    [Fact]
    public void The_queue_hands_messages_out_in_the_order_they_came_whatever_the_interleaving()
    {
        // true: enqueue the next number; false: dequeue one (or find the queue empty).
        Gen.Bool.Array[0, 200].Sample(operations =>
        {
            var queue = new LpMailbox.Queue();
            var expected = new Queue<int>();
            var next = 0;
            foreach (var enqueue in operations)
            {
                if (enqueue)
                {
                    queue.Enqueue(ActorRefs.Nobody, new Envelope(next, ActorRefs.NoSender));
                    expected.Enqueue(next++);
                }
                else
                {
                    Assert.Equal(expected.Count > 0, queue.TryDequeue(out var envelope));
                    if (expected.Count > 0) Assert.Equal(expected.Dequeue(), envelope.Message);
                }
                Assert.Equal(expected.Count, queue.Count);
                Assert.Equal(expected.Count > 0, queue.HasMessages);
            }
        });
    }

    [Fact]
    public async Task LP_actors_get_the_LP_mailbox_and_actors_that_stash_keep_Akka_s_own()
    {
        var model = new ScriptModel();
        var sim = Simulation.Create(Sys, new KernelSettings { Lookahead = TimeSpan.FromMilliseconds(20), Partitions = 1 }, model);
        sim.Schedule(ScriptModel.Lp(1), SimTime.Zero, "go");
        await sim.RunAsync();

        var lp = await sim.LpActorAsync(ScriptModel.Lp(1));
        Assert.IsType<LpMailbox.Queue>(QueueOf(lp));

        // A persistent actor asks for a deque (its stash): the LP mailbox cannot serve it.
        Assert.False(LpMailbox.Fits(typeof(Stashing)));
        var stashing = Sys.ActorOf(LpDispatcher.Deploy(Props.Create<Stashing>()));
        await stashing.Ask<ActorIdentity>(new Identify(null)); // started: its cell is a real one now
        Assert.IsNotType<LpMailbox.Queue>(QueueOf(stashing));
    }

    private static IMessageQueue QueueOf(IActorRef actor) =>
        ((ActorCell)((ActorRefWithCell)actor).Underlying).Mailbox?.MessageQueue ?? throw new InvalidOperationException($"{actor} has no mailbox");

    private sealed class Stashing : UntypedActor, IWithUnboundedStash
    {
        public IStash Stash { get; set; } = null!;

        protected override void OnReceive(object message) => Stash.Stash();
    }
}
