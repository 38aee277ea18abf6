using AmiSim.Protocol.Network;
using CsCheck;
using Xunit;

namespace AmiSim.Protocol.Tests;

public sealed class MeterIdTests
{
    [Fact]
    public void An_mrid_names_the_meter_it_was_made_from() =>
        Gen.Long[0, 9_999_999_999].Sample(number =>
        {
            var meter = new MeterId(number);
            Assert.True(MeterId.TryParseMrid(meter.Identification, out var parsed));
            Assert.Equal(meter, parsed);
        });

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("MTR")]
    [InlineData("MTX0000000001")]
    [InlineData("mtr0000000001")]
    [InlineData("MTR-000000001")]
    [InlineData("MTR 000000001")]
    [InlineData("MTR00000000x1")]
    [InlineData("MTR99999999999999999999")]
    public void Other_text_names_no_meter(string? text) => Assert.False(MeterId.TryParseMrid(text, out _));
}
