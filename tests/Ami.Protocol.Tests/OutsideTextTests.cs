using AmiSim.Protocol;
using CsCheck;
using Xunit;

namespace AmiSim.Protocol.Tests;

public sealed class OutsideTextTests
{
    [Fact]
    public void Control_and_invalid_characters_are_shown_as_escapes()
    {
        Assert.Equal("Bad\\x00\\x01\\x1b[31m\\ufffd ok", OutsideText.Clean("Bad\0\u0001\u001b[31m\ufffd ok"));
        Assert.Equal("line\\x0aanother", OutsideText.Clean("line\nanother"));
        Assert.Equal("Zürich 100 %", OutsideText.Clean("Zürich 100 %"));
    }

    [Fact]
    public void Long_text_is_cut_saying_how_much_was_left_out()
    {
        var cut = OutsideText.Clean(new string('k', 1_000_000), 50);
        Assert.Equal(new string('k', 50) + "... (999,950 more characters)", cut);
    }

    [Fact]
    public void Whatever_comes_in_nothing_unprintable_goes_out_and_the_length_is_bounded() =>
        Gen.String[Gen.Char, 0, 2_000].Sample(text =>
        {
            var clean = OutsideText.Clean(text, 100);
            Assert.DoesNotContain(clean, c => char.IsControl(c) || char.IsSurrogate(c));
            Assert.True(clean.Length <= 100 * 6 + 40, $"{clean.Length} characters");
        });
}
