using System.Runtime.CompilerServices;

namespace AmiSim.Kernel;

/// <summary>
/// The text of a trace entry, written as an interpolated string: it is only formatted when the run
/// traces its subject, so the many hot-path trace calls cost a lookup, not a string each.
/// </summary>
[InterpolatedStringHandler]
public ref struct TraceText
{
    private DefaultInterpolatedStringHandler _text;

    public TraceText(int literalLength, int formattedCount, SimActor actor, long subject, out bool enabled)
        : this(literalLength, formattedCount, actor.Lp, subject, out enabled) { }

    public TraceText(int literalLength, int formattedCount, LpMemberActor actor, long subject, out bool enabled)
        : this(literalLength, formattedCount, actor.Slot, subject, out enabled) { }

    public TraceText(int literalLength, int formattedCount, LpEffects effects, long subject, out bool enabled)
    {
        enabled = Enabled = effects.Traces(subject);
        if (enabled) _text = new DefaultInterpolatedStringHandler(literalLength, formattedCount);
    }

    private TraceText(int literalLength, int formattedCount, LpSlot lp, long subject, out bool enabled)
    {
        enabled = Enabled = lp.Runtime.Settings.Trace?.Traces(subject) == true && lp.Runtime.IsLive(lp.Now);
        if (enabled) _text = new DefaultInterpolatedStringHandler(literalLength, formattedCount);
    }

    /// <summary>Whether the subject is traced (and the text was formatted).</summary>
    public bool Enabled { get; }

    public void AppendLiteral(string text) => _text.AppendLiteral(text);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);

    public void AppendFormatted(string? value) => _text.AppendFormatted(value);

    public string ToStringAndClear() => _text.ToStringAndClear();
}
