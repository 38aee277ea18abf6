namespace AmiSim.HeadEnd.Mdm;

// The MDM's protocol: it takes CIM XML as text (CimDelivery, in Ami.Protocol) and answers it the same
// way; between runs it answers these queries.

/// <summary>Queries between runs.</summary>
public static class MdmQueries
{
    public sealed class GetMetersPerVersion
    {
        public static readonly GetMetersPerVersion Instance = new();

        private GetMetersPerVersion() { }
    }

    public sealed record MetersPerVersion(IReadOnlyDictionary<string, int> Counts, int MessagesRecorded);

    public sealed record GetMeter(string Mrid);

    public sealed record MeterView(string Mrid, string Firmware, string? ProgramId, string? ConfigId, IReadOnlyList<MeterRecord> History);

    public sealed class GetAllMeters
    {
        public static readonly GetAllMeters Instance = new();

        private GetAllMeters() { }
    }
}
