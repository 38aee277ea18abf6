using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Programs;

namespace AmiSim.Meter.Board;

/// <summary>
/// A board's state of one image transfer (DLMS class 18 semantics): which blocks arrived (a bitmap),
/// which arrived corrupted, the status and the last failure. It never holds the image: the blocks
/// are shared data, and each written block's digest is checked against the signed manifest.
/// </summary>
public sealed class ImageTransfer
{
    private readonly byte[] _bitmap;
    private HashSet<int>? _corrupt;

    public ImageTransfer(ProgramManifest manifest, byte[] signature)
    {
        Manifest = manifest;
        Signature = signature;
        _bitmap = new byte[BlockBitmap.BytesFor(manifest.BlockCount)];
        MissingCount = manifest.BlockCount;
    }

    public ProgramManifest Manifest { get; }

    public byte[] Signature { get; }

    public ImageTransferStatus Status { get; set; } = ImageTransferStatus.TransferInitiated;

    public ImageFailure LastFailure { get; set; }

    public int MissingCount { get; private set; }

    public int FirstMissingBlock => BlockBitmap.FirstMissing(_bitmap, Manifest.BlockCount);

    public ReadOnlySpan<byte> Bitmap => _bitmap;

    public bool Complete => MissingCount == 0;

    public bool HasCorruptBlocks => _corrupt is { Count: > 0 };

    /// <summary>Records block <paramref name="block"/> as written; <paramref name="corrupt"/> when its stored bytes do not match the manifest.</summary>
    public void Record(int block, bool corrupt)
    {
        if (!BlockBitmap.IsSet(_bitmap, block))
        {
            BlockBitmap.Set(_bitmap, block);
            MissingCount--;
        }
        if (corrupt) (_corrupt ??= new HashSet<int>()).Add(block);
        else _corrupt?.Remove(block);
    }

    public ImageTransferControlTable ToTable() => new(Status, true, (ushort)Manifest.BlockSize, (uint)Manifest.BlockCount,
        (uint)FirstMissingBlock, (uint)MissingCount, Manifest.ProgramId, Manifest.Version, (uint)Manifest.Size, LastFailure);
}
