namespace AmiSim.Protocol.Network;

/// <summary>A meter's number in the fleet; its C12.19 identification (ST5) and CIM mRID derive from it.</summary>
public readonly record struct MeterId(long Value) : IComparable<MeterId>
{
    public int CompareTo(MeterId other) => Value.CompareTo(other.Value);

    /// <summary>ST5 IDENTIFICATION and the CIM mRID of the meter: "MTR" and ten digits.</summary>
    public string Identification => $"MTR{Value:D10}";

    public override string ToString() => Identification;

    /// <summary>The meter an mRID or identification names ("MTR" and its number); false for any other text.</summary>
    public static bool TryParseMrid(string? mrid, out MeterId meter)
    {
        meter = default;
        if (mrid is null || !mrid.StartsWith("MTR", StringComparison.Ordinal) || mrid.Length == 3) return false;
        if (!long.TryParse(mrid.AsSpan(3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)) return false;
        meter = new MeterId(number);
        return true;
    }
}
