namespace AmiSim.Protocol.C1219;

/// <summary>image_transfer_status, as in DLMS/COSEM class 18.</summary>
public enum ImageTransferStatus : byte
{
    NotInitiated = 0,
    TransferInitiated = 1,
    VerificationInitiated = 2,
    VerificationSuccessful = 3,
    VerificationFailed = 4,
    ActivationInitiated = 5,
    ActivationSuccessful = 6,
    ActivationFailed = 7,
}

/// <summary>Why a transfer, verification or activation failed (MT100 LAST_FAILURE).</summary>
public enum ImageFailure : byte
{
    None = 0,
    BlockDigestMismatch = 1,
    ImageDigestMismatch = 2,
    SignatureInvalid = 3,
    IncompleteImage = 4,
    FlashWriteFailed = 5,
    ActivationFailed = 6,
    IncompatibleImage = 7,
}

/// <summary>
/// MT100 IMAGE_TRANSFER_CONTROL, AmiSim's image-transfer control and status table (39 bytes, numbers
/// in ST0's data order): STATUS u8, ENABLED u8, BLOCK_SIZE u16, BLOCK_COUNT u32, FIRST_MISSING_BLOCK
/// u32 (= BLOCK_COUNT when none is missing), MISSING_COUNT u32, IMAGE_ID char(16), IMAGE_VERSION u8
/// u8, IMAGE_SIZE u32, LAST_FAILURE u8. Read-only: the board maintains it. See docs/IMAGE-TRANSFER-TABLES.md.
/// </summary>
public sealed record ImageTransferControlTable(
    ImageTransferStatus Status,
    bool Enabled,
    ushort BlockSize,
    uint BlockCount,
    uint FirstMissingBlock,
    uint MissingCount,
    string ImageId,
    FirmwareVersion ImageVersion,
    uint ImageSize,
    ImageFailure LastFailure)
{
    public const int Size = 39;

    public static ImageTransferControlTable Idle => new(ImageTransferStatus.NotInitiated, true, 0, 0, 0, 0, "", default, 0, ImageFailure.None);

    public byte[] Encode(DataOrder order) => new TableWriter(order, Size)
        .U8((byte)Status).U8(Enabled ? (byte)1 : (byte)0).U16(BlockSize).U32(BlockCount).U32(FirstMissingBlock).U32(MissingCount)
        .Chars("MT100 IMAGE_ID", ImageId, 16).U8(ImageVersion.Version).U8(ImageVersion.Revision).U32(ImageSize).U8((byte)LastFailure)
        .ToArray();

    public static ImageTransferControlTable Decode(ReadOnlySpan<byte> data, DataOrder order)
    {
        if (data.Length != Size) throw new TableFormatException($"MT100: {data.Length} bytes, expected {Size}");
        var reader = new TableReader(data, order, "MT100");
        var status = reader.U8("STATUS");
        if (status > 7) throw new TableFormatException($"MT100: STATUS {status} is not 0-7");
        return new ImageTransferControlTable((ImageTransferStatus)status, reader.U8("ENABLED") != 0, reader.U16("BLOCK_SIZE"),
            reader.U32("BLOCK_COUNT"), reader.U32("FIRST_MISSING_BLOCK"), reader.U32("MISSING_COUNT"), reader.Chars("IMAGE_ID", 16),
            new FirmwareVersion(reader.U8("IMAGE_VERSION"), reader.U8("IMAGE_REVISION")), reader.U32("IMAGE_SIZE"), (ImageFailure)reader.U8("LAST_FAILURE"));
    }
}

/// <summary>
/// The parameters of MP1 INITIATE_IMAGE_TRANSFER in ST7: IMAGE_ID char(16), IMAGE_VERSION u8 u8,
/// IMAGE_SIZE u32, BLOCK_SIZE u16 (24 bytes). The signed manifest itself is written to MT103 before.
/// </summary>
public sealed record InitiateImageTransferParameters(string ImageId, FirmwareVersion Version, uint ImageSize, ushort BlockSize)
{
    public const int Size = 24;

    public byte[] Encode(DataOrder order) => new TableWriter(order, Size)
        .Chars("IMAGE_ID", ImageId, 16).U8(Version.Version).U8(Version.Revision).U32(ImageSize).U16(BlockSize).ToArray();

    public static InitiateImageTransferParameters Decode(ReadOnlySpan<byte> data, DataOrder order)
    {
        var reader = new TableReader(data, order, "MP1 PARM");
        var parameters = new InitiateImageTransferParameters(reader.Chars("IMAGE_ID", 16),
            new FirmwareVersion(reader.U8("IMAGE_VERSION"), reader.U8("IMAGE_REVISION")), reader.U32("IMAGE_SIZE"), reader.U16("BLOCK_SIZE"));
        if (parameters.BlockSize == 0) throw new TableFormatException("MP1 PARM: BLOCK_SIZE is 0");
        return parameters;
    }
}

/// <summary>The transferred-blocks bitmap (MT101): bit n%8 of byte n/8 is set when block n has been written.</summary>
public static class BlockBitmap
{
    public static int BytesFor(int blocks) => (blocks + 7) / 8;

    public static bool IsSet(ReadOnlySpan<byte> bitmap, int block) => (bitmap[block >> 3] & (1 << (block & 7))) != 0;

    public static void Set(Span<byte> bitmap, int block) => bitmap[block >> 3] |= (byte)(1 << (block & 7));

    /// <summary>The first block not set, or <paramref name="blocks"/> when all are.</summary>
    public static int FirstMissing(ReadOnlySpan<byte> bitmap, int blocks)
    {
        for (var i = 0; i < bitmap.Length; i++)
        {
            if (bitmap[i] == 0xFF) continue;
            for (var bit = 0; bit < 8; bit++)
            {
                var block = i * 8 + bit;
                if (block >= blocks) return blocks;
                if ((bitmap[i] & (1 << bit)) == 0) return block;
            }
        }
        return blocks;
    }

    /// <summary>The blocks not set, in order.</summary>
    public static IEnumerable<int> Missing(byte[] bitmap, int blocks)
    {
        for (var block = 0; block < blocks; block++)
            if (!IsSet(bitmap, block)) yield return block;
    }
}
