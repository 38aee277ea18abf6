using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Web;
using AmiSim.Kernel;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>The console's pure state: when the run takes the operator's actions, how long it waits for the pace, how long its steps are.</summary>
public sealed class ConsoleStateTests
{
    private static SimTime At(double seconds) => SimTime.From(TimeSpan.FromSeconds(seconds));

    [Theory]
    [InlineData(null, 3600)] // as fast as possible: the run's own step
    [InlineData(1.0, 1)] // a quarter second of wall time is less than a virtual second: the shortest step
    [InlineData(60.0, 15)]
    [InlineData(3600.0, 900)]
    [InlineData(1e7, 3600)] // never longer than the run's own step
    public void A_paced_step_is_a_quarter_second_of_wall_time_in_whole_virtual_seconds(double? pace, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), new ConsoleState(pace).NextStep(TimeSpan.FromHours(1)));
    }

    [Fact]
    public void While_the_head_end_is_down_an_action_is_refused_and_a_held_clock_moves_one_second_for_an_action()
    {
        var state = new ConsoleState(3600);
        state.Observe(CampaignStatus.Down);
        Assert.Contains("the head-end is down", state.Ask(OperatorAction.Pause, "ann"));
        Assert.Empty(state.Decide(At(10), TimeSpan.FromSeconds(1)).Take);

        state.Observe(CampaignStatus.Running);
        state.SetHeld(true);
        Assert.Null(state.Ask(OperatorAction.Pause, "ann"));
        Assert.Single(state.Decide(At(10), TimeSpan.FromSeconds(2)).Take);
        Assert.Equal(TimeSpan.FromSeconds(1), state.NextStep(TimeSpan.FromHours(1)));
    }

    [Fact]
    public void A_step_is_at_most_what_the_run_did_in_a_quarter_second_so_a_held_clock_or_an_action_is_taken_soon()
    {
        var state = new ConsoleState(null);
        Assert.Equal(TimeSpan.FromHours(1), state.NextStep(TimeSpan.FromHours(1))); // no step measured yet

        Assert.Equal(StepDecision.Go, state.Decide(At(0), TimeSpan.FromSeconds(10)));
        state.Decide(At(3600), TimeSpan.FromSeconds(12)); // an hour in 2 s of wall time: 1,800 virtual seconds a wall second
        Assert.Equal(TimeSpan.FromSeconds(450), state.NextStep(TimeSpan.FromHours(1)));

        var paced = new ConsoleState(3600);
        Assert.Equal(StepDecision.Go, paced.Decide(At(0), TimeSpan.FromSeconds(10)));
        paced.Decide(At(900), TimeSpan.FromSeconds(10.5)); // slower than the pace: 1,800 virtual seconds a wall second
        Assert.Equal(TimeSpan.FromSeconds(450), paced.NextStep(TimeSpan.FromHours(1)));

        state.SetHeld(true); // the time a held clock waits is not the run's speed
        state.Decide(At(4000), TimeSpan.FromSeconds(14));
        Assert.Equal(Timeout.InfiniteTimeSpan, state.Decide(At(4000), TimeSpan.FromSeconds(600)).Wait);
        state.SetHeld(false);
        Assert.Equal(StepDecision.Go, state.Decide(At(4000), TimeSpan.FromSeconds(600)));
        state.Decide(At(4900), TimeSpan.FromSeconds(601));
        Assert.Equal(TimeSpan.FromSeconds(225), state.NextStep(TimeSpan.FromHours(1)));
    }

    [Fact]
    public void At_a_pace_virtual_time_waits_for_the_wall_time_it_is_due_from_the_anchor()
    {
        var state = new ConsoleState(60);

        Assert.Equal(StepDecision.Go, state.Decide(At(600), TimeSpan.FromSeconds(10))); // the anchor: virtual 600 s at wall 10 s
        Assert.Equal(TimeSpan.FromSeconds(2), state.Decide(At(720), TimeSpan.FromSeconds(10)).Wait); // 120 virtual seconds are 2 wall seconds at 60x
        Assert.Equal(StepDecision.Go, state.Decide(At(720), TimeSpan.FromSeconds(12)));
        state.SetPace(null);
        Assert.Equal(StepDecision.Go, state.Decide(At(99_999), TimeSpan.FromSeconds(12)));
        state.SetPace(3600); // a new pace, a new anchor: no catching up for the time at full speed
        Assert.Equal(StepDecision.Go, state.Decide(At(100_000), TimeSpan.FromSeconds(13)));
        Assert.Equal(TimeSpan.FromSeconds(1), state.Decide(At(103_600), TimeSpan.FromSeconds(13)).Wait);
    }

    [Fact]
    public void A_held_clock_waits_until_released_but_actions_are_taken_at_once_at_the_current_virtual_time()
    {
        var state = new ConsoleState(null);
        state.SetHeld(true);

        Assert.Equal(Timeout.InfiniteTimeSpan, state.Decide(At(7200), TimeSpan.Zero).Wait);
        Assert.Null(state.Ask(OperatorAction.Pause, "alice"));
        Assert.Null(state.Ask(OperatorAction.RetryFailed, "bob"));
        var taken = state.Decide(At(7200), TimeSpan.Zero).Take;

        Assert.Equal([OperatorAction.Pause, OperatorAction.RetryFailed], taken.Select(t => t.Action));
        Assert.All(taken, t => Assert.Equal(At(7200), t.At));
        Assert.Equal(["alice", "bob"], state.Taken.Select(t => t.By));
        Assert.Equal(Timeout.InfiniteTimeSpan, state.Decide(At(7200), TimeSpan.Zero).Wait); // each action once
        state.SetHeld(false);
        Assert.Equal(StepDecision.Go, state.Decide(At(7200), TimeSpan.Zero));
    }

    [Fact]
    public void After_the_run_an_action_is_refused_and_nothing_is_queued()
    {
        var state = new ConsoleState(null) { Ended = true };

        Assert.Contains("the run has ended", state.Ask(OperatorAction.Cancel, "alice"));
        Assert.Empty(state.Decide(At(0), TimeSpan.Zero).Take);
        Assert.Empty(state.Taken);
    }

    [Fact]
    public void A_campaign_waiting_for_its_start_holds_the_clock_at_any_pace_until_the_start_is_taken()
    {
        var state = new ConsoleState(pace: null, waitsForStart: true);

        Assert.Equal(Timeout.InfiniteTimeSpan, state.Decide(At(0), TimeSpan.Zero).Wait);
        state.SetPace(3600);
        Assert.Equal(Timeout.InfiniteTimeSpan, state.Decide(At(0), TimeSpan.FromSeconds(5)).Wait);
        // Another action is refused, and the campaign still waits.
        Assert.Equal("the campaign waits for its start: start it before asking for pause", state.Ask(OperatorAction.Pause, "alice"));
        Assert.Equal(Timeout.InfiniteTimeSpan, state.Decide(At(0), TimeSpan.Zero).Wait);
        Assert.True(state.WaitingForStart);

        Assert.Null(state.Ask(OperatorAction.Start, "alice"));
        Assert.Contains("started already", state.Ask(OperatorAction.Start, "bob"));
        Assert.Null(state.Ask(OperatorAction.Pause, "alice")); // after a start asked, queued behind it
        Assert.Equal([OperatorAction.Start, OperatorAction.Pause], state.Decide(At(0), TimeSpan.FromSeconds(9)).Take.Select(t => t.Action));
        Assert.False(state.WaitingForStart);
        Assert.Equal(StepDecision.Go, state.Decide(At(0), TimeSpan.FromSeconds(9))); // the pace's anchor: now
    }

    [Fact]
    public void A_campaign_started_at_once_refuses_a_start()
    {
        var state = new ConsoleState(pace: null);

        Assert.Equal("the campaign has been started already", state.Ask(OperatorAction.Start, "alice"));
        Assert.Empty(state.Decide(At(0), TimeSpan.Zero).Take);
    }

    [Fact]
    public void An_action_that_would_change_nothing_is_refused_by_the_status_with_the_actions_since()
    {
        var state = new ConsoleState(pace: null);
        state.Observe(CampaignStatus.Running);

        Assert.Equal("the campaign is running: there is nothing to resume", state.Ask(OperatorAction.Resume, "alice"));
        Assert.Null(state.Ask(OperatorAction.Pause, "alice"));
        Assert.Equal("the campaign is paused already", state.Ask(OperatorAction.Pause, "bob")); // the first is still queued
        state.Decide(At(60), TimeSpan.Zero);
        Assert.Equal("the campaign is paused already", state.Ask(OperatorAction.Pause, "bob")); // taken, its step not yet shown
        state.Observe(CampaignStatus.Paused);
        Assert.Null(state.Ask(OperatorAction.Resume, "bob"));
        Assert.Null(state.Ask(OperatorAction.Cancel, "carol"));
        Assert.Equal("the campaign is canceled: there is nothing to retry-failed", state.Ask(OperatorAction.RetryFailed, "alice"));
        state.Decide(At(120), TimeSpan.Zero);
        state.Observe(CampaignStatus.Canceled);

        Assert.Equal("the campaign is canceled: there is nothing to pause", state.Ask(OperatorAction.Pause, "alice"));
        Assert.Equal([OperatorAction.Pause, OperatorAction.Resume, OperatorAction.Cancel], state.Taken.Select(t => t.Action));
    }
}
