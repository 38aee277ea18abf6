using AmiSim.Protocol.C1219;
using AmiSim.Protocol.Psem;
using Xunit;

namespace AmiSim.Protocol.Tests;

public sealed class PsemFramingTests
{
    [Fact]
    public void A_partial_write_is_encoded_byte_for_byte()
    {
        var write = new PartialWriteRequest(Tables.ImageTransferData, 0x000400, new byte[] { 0x10, 0x20 });
        Assert.Equal(new byte[] { 0x4F, 0x08, 0x66, 0x00, 0x04, 0x00, 0x00, 0x02, 0x10, 0x20, 0xD0 }, write.Encode());
        Assert.True(write.ChecksumValid);
    }

    [Fact]
    public void A_read_response_carries_count_data_and_checksum()
    {
        var frame = PsemResponse.ReadOk(new byte[] { 1, 2, 3 }).Encode(isReadResponse: true);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x03, 1, 2, 3, 0xFA }, frame);
    }

    [Theory]
    [InlineData(new byte[] { }, "empty")]
    [InlineData(new byte[] { 0x99 }, "unknown service code 0x99")]
    [InlineData(new byte[] { 0x30, 0x00 }, "FullRead")]
    [InlineData(new byte[] { 0x40, 0x00, 0x07, 0x00, 0x05, 1, 2, 0x00 }, "says 5 data byte(s)")]
    [InlineData(new byte[] { 0x51, 1, 2, 3 }, "Security")]
    public void Malformed_requests_are_rejected_with_the_reason(byte[] frame, string reason)
    {
        var error = Assert.Throws<PsemFormatException>(() => PsemRequest.Decode(frame));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void A_read_response_with_a_wrong_checksum_is_rejected()
    {
        var error = Assert.Throws<PsemFormatException>(() => PsemResponse.Decode(new byte[] { 0x00, 0x00, 0x01, 0x05, 0x00 }, isReadResponse: true));
        Assert.Contains("checksum", error.Message);
    }
}
