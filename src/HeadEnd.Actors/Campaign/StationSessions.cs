namespace AmiSim.HeadEnd.Campaign;

/// <summary>
/// A collector's unicast sessions (outstanding commands or unicast transfers): the meters waiting for
/// one, in order, and how many are held, at most <paramref name="limit"/> at once. A waiting meter's
/// <see cref="MeterCampaignState.QueuedStep"/> says for what; an entry whose meter's step was done
/// meanwhile (its step is null) is passed over.
/// </summary>
internal sealed class StationSessions(int limit)
{
    private readonly Queue<MeterCampaignState> _waiting = new();

    /// <summary>Sessions held now.</summary>
    public int Active { get; private set; }

    /// <summary>The most sessions held at once, kept across <see cref="Clear"/>.</summary>
    public int Most { get; private set; }

    public int Waiting => _waiting.Count;

    /// <summary>
    /// Queues <paramref name="meter"/> for <paramref name="step"/>: one place per meter, for the latest
    /// step asked, so that a step asked again while the meter waits does not read it twice.
    /// </summary>
    public void Queue(MeterCampaignState meter, CampaignStep step)
    {
        var queued = meter.QueuedStep is not null;
        meter.QueuedStep = step;
        if (!queued) _waiting.Enqueue(meter);
    }

    /// <summary>Puts a meter taken by <see cref="TryNext"/> back at the end, for <paramref name="step"/>.</summary>
    public void Requeue(MeterCampaignState meter, CampaignStep step)
    {
        meter.QueuedStep = step;
        _waiting.Enqueue(meter);
    }

    /// <summary>The next waiting meter, while a session is free.</summary>
    public bool TryNext(out MeterCampaignState meter)
    {
        meter = null!;
        return Active < limit && _waiting.TryDequeue(out meter!);
    }

    /// <summary>Gives <paramref name="meter"/> a session unless it holds one; true when that set a new <see cref="Most"/>.</summary>
    public bool Take(MeterCampaignState meter)
    {
        if (meter.InSession) return false;
        meter.InSession = true;
        Active++;
        if (Active <= Most) return false;
        Most = Active;
        return true;
    }

    public void Release(MeterCampaignState meter)
    {
        if (!meter.InSession) return;
        meter.InSession = false;
        Active--;
    }

    /// <summary>Forgets the waiting meters and the sessions held (the head-end died).</summary>
    public void Clear()
    {
        _waiting.Clear();
        Active = 0;
    }
}
