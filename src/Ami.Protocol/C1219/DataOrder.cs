using System.Buffers.Binary;

namespace AmiSim.Protocol.C1219;

/// <summary>ST0 FORMAT_CONTROL_1 bit 0: the byte order of every multi-byte number in the end device's tables.</summary>
public enum DataOrder : byte
{
    LittleEndian = 0,
    BigEndian = 1,
}

/// <summary>Reads table fields in the device's data order; a short table names the field it lacks.</summary>
public ref struct TableReader(ReadOnlySpan<byte> data, DataOrder order, string table)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _at;

    public readonly int Remaining => _data.Length - _at;

    public byte U8(string field) => Take(field, 1)[0];

    public ushort U16(string field)
    {
        var bytes = Take(field, 2);
        return order == DataOrder.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes);
    }

    public uint U32(string field)
    {
        var bytes = Take(field, 4);
        return order == DataOrder.BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }

    /// <summary>A fixed-width character field, trailing spaces and NULs removed.</summary>
    public string Chars(string field, int width) =>
        System.Text.Encoding.Latin1.GetString(Take(field, width)).TrimEnd(' ', '\0');

    public ReadOnlySpan<byte> Bytes(string field, int count) => Take(field, count);

    public ReadOnlySpan<byte> Rest() => _data[_at..];

    private ReadOnlySpan<byte> Take(string field, int count)
    {
        if (_at + count > _data.Length)
            throw new TableFormatException($"{table}: {field} needs {count} byte(s) at offset {_at}, the table has {_data.Length}");
        var bytes = _data.Slice(_at, count);
        _at += count;
        return bytes;
    }
}

/// <summary>Writes table fields in the device's data order.</summary>
public sealed class TableWriter(DataOrder order, int capacity = 32)
{
    private readonly MemoryStream _buffer = new(capacity);

    public TableWriter U8(byte value)
    {
        _buffer.WriteByte(value);
        return this;
    }

    public TableWriter U16(ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        if (order == DataOrder.BigEndian) BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        else BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    public TableWriter U32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        if (order == DataOrder.BigEndian) BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    /// <summary>A fixed-width character field, padded with spaces; longer text is an error, not silently cut.</summary>
    public TableWriter Chars(string field, string value, int width)
    {
        var bytes = System.Text.Encoding.Latin1.GetBytes(value);
        if (bytes.Length > width)
            throw new TableFormatException($"{field}: '{value}' is longer than its {width} characters");
        _buffer.Write(bytes);
        for (var i = bytes.Length; i < width; i++) _buffer.WriteByte((byte)' ');
        return this;
    }

    public TableWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        _buffer.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _buffer.ToArray();
}

/// <summary>Table contents that do not decode; the message names the table and the field.</summary>
public sealed class TableFormatException(string message) : Exception(message);
