namespace AmiSim.Kernel;

/// <summary>
/// An instant of virtual time: whole microseconds since the clock's origin (a UTC date: <see cref="KernelSettings.OriginUtc"/>).
/// Nothing simulated reads the wall clock; every delay is added to a <see cref="SimTime"/>.
/// Durations are <see cref="TimeSpan"/>s and are truncated to whole microseconds.
/// </summary>
public readonly record struct SimTime(long Micros) : IComparable<SimTime>
{
    public static readonly SimTime Zero = new(0);

    /// <summary>Later than any event: "nothing pending".</summary>
    public static readonly SimTime Never = new(long.MaxValue);

    public static SimTime FromSeconds(double seconds) => new((long)Math.Round(seconds * 1_000_000d));

    public static SimTime From(TimeSpan sinceOrigin) => new(ToMicros(sinceOrigin));

    public TimeSpan SinceOrigin => TimeSpan.FromTicks(Micros * 10);

    public double TotalSeconds => Micros / 1_000_000d;

    public bool IsNever => Micros == long.MaxValue;

    /// <summary>The wall-calendar date this instant stands for, given the clock's origin (UTC).</summary>
    public DateTime ToUtc(DateTime originUtc) => originUtc.AddTicks(Micros * 10);

    public static long ToMicros(TimeSpan span) => span.Ticks / 10;

    public static SimTime operator +(SimTime time, TimeSpan delay) => new(time.Micros + ToMicros(delay));

    public static SimTime operator -(SimTime time, TimeSpan delay) => new(time.Micros - ToMicros(delay));

    public static TimeSpan operator -(SimTime later, SimTime earlier) => TimeSpan.FromTicks((later.Micros - earlier.Micros) * 10);

    public static bool operator <(SimTime a, SimTime b) => a.Micros < b.Micros;

    public static bool operator >(SimTime a, SimTime b) => a.Micros > b.Micros;

    public static bool operator <=(SimTime a, SimTime b) => a.Micros <= b.Micros;

    public static bool operator >=(SimTime a, SimTime b) => a.Micros >= b.Micros;

    public static SimTime Min(SimTime a, SimTime b) => a.Micros <= b.Micros ? a : b;

    public int CompareTo(SimTime other) => Micros.CompareTo(other.Micros);

    /// <summary>Days, hours, minutes, seconds and milliseconds, as an operator reads them: "2d 03:14:07.250".</summary>
    public override string ToString()
    {
        if (IsNever) return "never";
        var span = SinceOrigin;
        return span.Days > 0 ? $"{span.Days}d {span:hh\\:mm\\:ss\\.fff}" : span.ToString("hh\\:mm\\:ss\\.fff");
    }
}
