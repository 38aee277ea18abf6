namespace AmiSim.Protocol.C1219;

/// <summary>
/// A procedure id as written to ST7 PROC: number in bits 0-10, bit 11 manufacturer procedure,
/// bits 12-15 the response selector.
/// </summary>
public readonly record struct ProcedureId(ushort Raw)
{
    public static ProcedureId Standard(StandardProcedure procedure, ResponseSelector selector = ResponseSelector.OnCompletion) =>
        new((ushort)((ushort)procedure | ((ushort)selector << 12)));

    public static ProcedureId Manufacturer(ManufacturerProcedure procedure, ResponseSelector selector = ResponseSelector.OnCompletion) =>
        new((ushort)((ushort)procedure | TableId.ManufacturerFlag | ((ushort)selector << 12)));

    public int Number => Raw & 0x07FF;

    public bool IsManufacturer => (Raw & TableId.ManufacturerFlag) != 0;

    public ResponseSelector Selector => (ResponseSelector)(Raw >> 12);

    public override string ToString() => (IsManufacturer ? "MP" : "SP") + Number;
}

/// <summary>ST7 response selector: when the procedure's result is posted to ST8.</summary>
public enum ResponseSelector : byte
{
    OnCompletion = 0,
    OnExceptionOnly = 1,
    Never = 2,
    ImmediatelyAndOnCompletion = 3,
}

/// <summary>ST8 RESULT_CODE.</summary>
public enum ProcedureResult : byte
{
    Completed = 0,
    AcceptedNotCompleted = 1,
    InvalidParameter = 2,
    ConflictsWithSetup = 3,
    TimingConstraint = 4,
    NoAuthorization = 5,
    UnrecognizedProcedure = 6,
}

/// <summary>Standard procedures (SP).</summary>
public enum StandardProcedure : ushort
{
    ColdStart = 0,
    WarmStart = 1,
    SaveConfiguration = 2,
    ClearData = 3,
    ResetListPointers = 4,
    UpdateLastReadEntry = 5,
    ChangeEndDeviceMode = 6,
    ClearStandardStatusFlags = 7,
    ClearManufacturerStatusFlags = 8,
    RemoteReset = 9,
    SetDateTime = 10,
    ExecuteDiagnostics = 11,
    ActivateAllPendingTables = 12,
    ActivateSpecificPendingTables = 13,
    ClearAllPendingTables = 14,
    ClearSpecificPendingTables = 15,
    StartLoadProfile = 16,
    StopLoadProfile = 17,
}

/// <summary>AmiSim's manufacturer procedures (MP) for image transfer (docs/IMAGE-TRANSFER-TABLES.md).</summary>
public enum ManufacturerProcedure : ushort
{
    /// <summary>Start a transfer: PARM = image id, version, size, block size, digests (see the spec).</summary>
    InitiateImageTransfer = 1,

    /// <summary>Check per-block digests, the image digest and the signature.</summary>
    VerifyImage = 2,

    /// <summary>Activate the verified image now (PARM empty) or at a virtual time (PARM = u64 microseconds).</summary>
    ActivateImage = 3,
}

/// <summary>C12.19 standard event codes the boards log.</summary>
public enum EventCode : ushort
{
    ProcedureInvoked = 9,
    TableWritten = 10,
    EndDeviceProgrammed = 11,
    PendingTableActivated = 28,
    EndDeviceReprogrammed = 36,
    ConfigurationError = 37,
}

/// <summary>ST7 PROC_INITIATE_TBL: PROC u16 | SEQ_NBR u8 | PARM.</summary>
public sealed record ProcedureInitiateTable(ProcedureId Procedure, byte Sequence, byte[] Parameters)
{
    public byte[] Encode(DataOrder order) => new TableWriter(order).U16(Procedure.Raw).U8(Sequence).Bytes(Parameters).ToArray();

    public static ProcedureInitiateTable Decode(ReadOnlySpan<byte> data, DataOrder order)
    {
        var reader = new TableReader(data, order, "ST7");
        return new ProcedureInitiateTable(new ProcedureId(reader.U16("PROC")), reader.U8("SEQ_NBR"), reader.Rest().ToArray());
    }

    public bool Equals(ProcedureInitiateTable? other) =>
        other is not null && Procedure == other.Procedure && Sequence == other.Sequence && Parameters.AsSpan().SequenceEqual(other.Parameters);

    public override int GetHashCode() => HashCode.Combine(Procedure, Sequence, Parameters.Length);
}

/// <summary>ST8 PROC_RESPONSE_TBL: PROC u16 | SEQ_NBR u8 | RESULT_CODE u8 | RESP_DATA.</summary>
public sealed record ProcedureResponseTable(ProcedureId Procedure, byte Sequence, ProcedureResult Result, byte[] ResponseData)
{
    public byte[] Encode(DataOrder order) => new TableWriter(order).U16(Procedure.Raw).U8(Sequence).U8((byte)Result).Bytes(ResponseData).ToArray();

    public static ProcedureResponseTable Decode(ReadOnlySpan<byte> data, DataOrder order)
    {
        var reader = new TableReader(data, order, "ST8");
        var procedure = new ProcedureId(reader.U16("PROC"));
        var sequence = reader.U8("SEQ_NBR");
        var result = reader.U8("RESULT_CODE");
        if (result > (byte)ProcedureResult.UnrecognizedProcedure) throw new TableFormatException($"ST8: RESULT_CODE {result} is not 0-6");
        return new ProcedureResponseTable(procedure, sequence, (ProcedureResult)result, reader.Rest().ToArray());
    }

    public bool Equals(ProcedureResponseTable? other) =>
        other is not null && Procedure == other.Procedure && Sequence == other.Sequence && Result == other.Result && ResponseData.AsSpan().SequenceEqual(other.ResponseData);

    public override int GetHashCode() => HashCode.Combine(Procedure, Sequence, Result, ResponseData.Length);
}

/// <summary>SP13 and SP14's parameters (ST7 PARM): NBR_TABLES u8, then that many table ids u16 (the pending flag optional).</summary>
public static class PendingTablesParameters
{
    public static byte[] Encode(IReadOnlyCollection<TableId> tables, DataOrder order)
    {
        var writer = new TableWriter(order).U8(checked((byte)tables.Count));
        foreach (var table in tables) writer.U16(table.WithoutPending().Raw);
        return writer.ToArray();
    }

    /// <summary>The tables named, as pending tables.</summary>
    public static List<TableId> Decode(byte[] parameters, DataOrder order)
    {
        var reader = new TableReader(parameters, order, "SP13 PARM");
        var count = reader.U8("NBR_TABLES");
        var tables = new List<TableId>(count);
        for (var i = 0; i < count; i++) tables.Add(new TableId(reader.U16($"TABLE[{i}]")).AsPending());
        return tables;
    }
}
