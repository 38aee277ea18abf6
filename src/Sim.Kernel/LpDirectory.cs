namespace AmiSim.Kernel;

/// <summary>
/// The slots of a partition's LPs, found by id. LP numbers of a kind are dense in practice (0..N),
/// so each kind has an array indexed by number; very large numbers fall back to a dictionary.
/// </summary>
internal sealed class LpDirectory
{
    private const long DenseLimit = 1L << 26;
    private readonly LpSlot?[]?[] _dense = new LpSlot?[]?[256];
    private readonly Dictionary<LpId, LpSlot> _sparse = new();

    public LpSlot? Find(LpId id)
    {
        var number = id.Number;
        if (number >= DenseLimit) return _sparse.GetValueOrDefault(id);
        var slots = _dense[(int)id.Kind];
        return slots is not null && number < slots.Length ? slots[number] : null;
    }

    public void Add(LpSlot slot)
    {
        var number = slot.Id.Number;
        if (number >= DenseLimit)
        {
            _sparse.Add(slot.Id, slot);
            return;
        }
        ref var slots = ref _dense[(int)slot.Id.Kind];
        if (slots is null || number >= slots.Length)
        {
            var size = Math.Max(16, slots?.Length ?? 0);
            while (size <= number) size *= 2;
            Array.Resize(ref slots, size);
        }
        slots[number] = slot;
    }
}
