using AmiSim.Protocol.C1219;

namespace AmiSim.Meter.Board;

/// <summary>The tables an AmiSim metrology board holds, and which of them may be written.</summary>
public static class BoardTables
{
    /// <summary>ST0 of the boards: big-endian, ISO-8859-1, characters for ids; standard tables 0,1,3,5,7,8,54,61 and MT100-103.</summary>
    public static readonly GeneralConfigTable DefaultGeneralConfig = new()
    {
        DataOrder = DataOrder.BigEndian,
        StdTablesUsed = new SortedSet<int> { 0, 1, 3, 5, 7, 8, 54, 61 },
        MfgTablesUsed = new SortedSet<int> { 100, 101, 102, 103 },
        StdProceduresUsed = new SortedSet<int> { 12, 13, 14, 15 },
        MfgProceduresUsed = new SortedSet<int> { 1, 2, 3 },
        StdTablesWritable = new SortedSet<int> { 7, 54, 61 },
        MfgTablesWritable = new SortedSet<int> { 102, 103 },
    };
}
