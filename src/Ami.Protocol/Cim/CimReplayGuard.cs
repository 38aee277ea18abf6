namespace AmiSim.Protocol.Cim;

/// <summary>
/// IEC 61968-100 replay detection for a receiver: a message whose Header/ReplayDetection nonce was
/// seen in the last <see cref="Window"/>, or whose timestamp is further than that from the receiver's
/// clock, is refused. Nonces are kept in memory for the window only: a replay after a restart is
/// caught by the timestamp once the window has passed, not before.
/// </summary>
public sealed class CimReplayGuard
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, DateTime> _nonces = new(StringComparer.Ordinal);

    /// <summary>Null when the message may be taken (and its nonce is remembered), else the error to refuse it with.</summary>
    public CimError? Check(CimHeader header, DateTime now)
    {
        if (header.Replay is not { } replay) return null;
        if ((replay.Timestamp - now).Duration() > Window)
            return new CimError("1.5", "FATAL", "stale message: its ReplayDetection timestamp is further than 5 minutes from the receiver's clock", $"{CimXml.Timestamp(replay.Timestamp)} against {CimXml.Timestamp(now)}");
        foreach (var old in _nonces.Where(n => now - n.Value > Window).Select(n => n.Key).ToList()) _nonces.Remove(old);
        return _nonces.TryAdd(replay.Nonce, now) ? null : new CimError("1.5", "FATAL", "replayed message: its ReplayDetection nonce was seen before", OutsideText.Clean(replay.Nonce, 100));
    }
}
