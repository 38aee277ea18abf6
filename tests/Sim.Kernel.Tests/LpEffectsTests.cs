using AmiSim.Kernel;
using Akka.Event;
using Xunit;

namespace AmiSim.Kernel.Tests;

public sealed class LpEffectsTests
{
    private static readonly LpId Other = new(LpKind.Model, 7);

    [Fact]
    public void Effects_are_kept_in_the_order_decided_and_cleared()
    {
        var effects = new LpEffects();
        effects.Send(Other, TimeSpan.FromSeconds(1), "a");
        effects.StartTimer("t", TimeSpan.FromMinutes(1), "tick");
        effects.Send(Other, TimeSpan.FromSeconds(2), "b");
        Assert.Equal(
            [new SendEffect(Other, TimeSpan.FromSeconds(1), "a"), new StartTimerEffect("t", TimeSpan.FromMinutes(1), "tick"), new SendEffect(Other, TimeSpan.FromSeconds(2), "b")],
            effects.Items);
        effects.Clear();
        Assert.Empty(effects.Items);
    }

    [Fact]
    public void A_timer_runs_from_its_start_until_it_fires_or_is_cancelled()
    {
        var effects = new LpEffects();
        Assert.False(effects.IsTimerActive("t"));
        effects.StartTimer("t", TimeSpan.FromMinutes(1), "tick");
        Assert.True(effects.IsTimerActive("t"));
        effects.TimerFired("t");
        Assert.False(effects.IsTimerActive("t"));
        effects.StartTimer("t", TimeSpan.FromMinutes(1), "tick");
        Assert.True(effects.CancelTimer("t"));
        Assert.False(effects.CancelTimer("t"));
        Assert.False(effects.IsTimerActive("t"));
        effects.Clear();
        Assert.False(effects.IsTimerActive("t")); // clearing the decided effects keeps what runs
    }

    [Fact]
    public void Traces_observations_and_log_lines_are_kept_only_when_the_run_wants_them()
    {
        var quiet = new LpEffects();
        quiet.Trace(3, "1.4", $"step {3}");
        quiet.Publish("observed");
        quiet.Log(LogLevel.InfoLevel, "line");
        Assert.Empty(quiet.Items);

        var formatted = 0;
        string Text() => $"formatted {++formatted}";
        var watched = new LpEffects(traces: subject => subject == 3, observed: true, logs: level => level >= LogLevel.InfoLevel);
        watched.Trace(3, "1.4", $"{Text()}");
        watched.Trace(4, "1.4", $"{Text()}");
        watched.Publish("observed");
        watched.Log(LogLevel.DebugLevel, "debug");
        watched.Log(LogLevel.WarningLevel, "warning {N}", 1);
        Assert.Equal(1, formatted); // subject 4 is not traced: its text was never made
        Assert.Collection(watched.Items,
            e => Assert.Equal(new TraceEffect(3, "1.4", "formatted 1"), e),
            e => Assert.Equal(new PublishEffect("observed"), e),
            e => Assert.Equal(LogLevel.WarningLevel, Assert.IsType<LogEffect>(e).Level));
    }

    [Fact]
    public void A_kind_keeps_its_first_name()
    {
        const LpKind kind = (LpKind)250;
        Assert.Equal("kind250", LpKinds.NameOf(kind));
        LpKinds.Name(kind, "Probe");
        LpKinds.Name(kind, "Probe");
        Assert.Equal("Probe/3", new LpId(kind, 3).ToString());
        Assert.Throws<InvalidOperationException>(() => LpKinds.Name(kind, "Other"));
        Assert.Equal("Kernel/0", LpId.Kernel.ToString());
    }
}
