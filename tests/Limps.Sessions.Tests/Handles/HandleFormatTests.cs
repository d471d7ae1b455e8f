using System.Buffers.Text;

namespace Limps.Sessions.Tests.Handles;

/// <summary>Minting and checking handles: prefix plus 128 random bits in canonical base64url, parsed without throwing.</summary>
public class HandleFormatTests
{
    private readonly HandleFormat _baskets = new("bsk_");

    [Test]
    public void Minted_handles_parse_back_to_themselves()
    {
        for (int i = 0; i < 1_000; i++)
        {
            SessionId minted = _baskets.NewHandle();
            string text = minted.ToString();

            _baskets.TryParse(text, out SessionId parsed).Should().BeTrue();
            parsed.Should().Be(minted);
            new HandleFormat("crt_").TryParse(text, out _).Should().BeFalse("another kind's handle is not one of this kind");
        }
    }

    [Test]
    public void Every_bit_of_the_random_part_varies()
    {
        // 2,000 handles: a bit that never flips (or always does) would betray fewer than 128 random bits.
        int[] ones = new int[128];
        const int Count = 2_000;
        for (int i = 0; i < Count; i++)
        {
            byte[] bytes = Base64Url.DecodeFromChars(_baskets.NewHandle().ToString().AsSpan(4));
            bytes.Should().HaveCount(16);
            for (int bit = 0; bit < 128; bit++)
            {
                ones[bit] += (bytes[bit / 8] >> (bit % 8)) & 1;
            }
        }

        ones.Should().OnlyContain(n => n > Count * 0.4 && n < Count * 0.6);
    }

    [Test]
    public void Every_canonical_spelling_is_accepted_and_no_other()
    {
        string body = _baskets.NewHandle().ToString()[..^1];
        int accepted = 0;
        foreach (char last in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        {
            if (_baskets.TryParse(body + last, out _))
            {
                accepted++;
                Base64Url.DecodeFromChars((body + last).AsSpan(4)).Should().HaveCount(16);
            }
        }

        accepted.Should().Be(4, "the last character carries 2 bits and 4 zero bits");
    }
}
