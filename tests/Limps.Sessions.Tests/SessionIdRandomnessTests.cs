using System.Buffers.Text;

namespace Limps.Sessions.Tests;

/// <summary>
/// Statistical evidence that <see cref="SessionId.New"/> ids are unguessable: 128 bits that look independent and
/// uniform. A million ids are drawn once and checked for repeats, per-bit balance, balance of the bits that change
/// between consecutive ids (a counter or a clock would fail it) and a chi-square test of every character position.
/// Thresholds are set so a correct generator fails less than once in ten thousand runs; a generator with a few
/// bits of structure fails every time.
/// </summary>
[TestFixture]
public class SessionIdRandomnessTests
{
    private const int Count = 1_000_000;
    private const int Bits = SessionId.RandomBits;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    // Six standard deviations: a fair bit lands outside with probability 2e-9 (128 bits: 3e-7 per run).
    private const double Sigmas = 6.0;

    private string[] _ids = null!;
    private UInt128[] _values = null!;

    [OneTimeSetUp]
    public void DrawIds()
    {
        _ids = new string[Count];
        _values = new UInt128[Count];
        Span<byte> bytes = stackalloc byte[16];
        for (int i = 0; i < Count; i++)
        {
            string id = SessionId.New().ToString();
            Base64Url.DecodeFromChars(id, bytes, out _, out int written);
            written.Should().Be(16);
            _ids[i] = id;
            _values[i] = new UInt128(BitConverter.ToUInt64(bytes[..8]), BitConverter.ToUInt64(bytes[8..]));
        }
    }

    [OneTimeTearDown]
    public void Release()
    {
        _ids = null!;
        _values = null!;
    }

    [Test]
    public void A_million_ids_carry_128_bits_each_and_none_repeats()
    {
        _ids.Should().OnlyContain(id => id.Length == 22);
        var seen = new HashSet<UInt128>(Count);
        foreach (UInt128 value in _values)
        {
            seen.Add(value).Should().BeTrue("128 random bits do not repeat in a million draws (p < 1e-26)");
        }
    }

    [Test]
    public void Every_bit_position_is_set_half_of_the_time()
    {
        long[] ones = CountOnes(_values);
        double sigma = Math.Sqrt(Count * 0.25);
        for (int bit = 0; bit < Bits; bit++)
        {
            Math.Abs(ones[bit] - (Count / 2.0)).Should().BeLessThan(
                Sigmas * sigma, "bit {0} is set in {1} of {2} ids", bit, ones[bit], Count);
        }
    }

    [Test]
    public void Consecutive_ids_differ_in_each_bit_half_of_the_time()
    {
        // A counter, a timestamp or a weakly reseeded generator keeps many bits equal between neighbours.
        var differences = new UInt128[Count - 1];
        for (int i = 1; i < Count; i++)
        {
            differences[i - 1] = _values[i] ^ _values[i - 1];
        }

        long[] ones = CountOnes(differences);
        double sigma = Math.Sqrt((Count - 1) * 0.25);
        for (int bit = 0; bit < Bits; bit++)
        {
            Math.Abs(ones[bit] - ((Count - 1) / 2.0)).Should().BeLessThan(Sigmas * sigma, "bit {0}", bit);
        }
    }

    [Test]
    public void Every_character_position_is_uniform_over_its_possible_symbols()
    {
        // 128 bits in base64url: positions 0-20 carry 6 bits each (64 symbols); position 21 carries the last 2 bits,
        // so only the 4 symbols whose low 4 bits are zero can appear there.
        for (int position = 0; position < 22; position++)
        {
            long[] counts = new long[64];
            foreach (string id in _ids)
            {
                counts[Alphabet.IndexOf(id[position], StringComparison.Ordinal)]++;
            }

            int[] possible = position < 21 ? [.. Enumerable.Range(0, 64)] : [0, 16, 32, 48];
            double expected = (double)Count / possible.Length;
            double chiSquare = possible.Sum(s => Math.Pow(counts[s] - expected, 2) / expected);
            long impossible = counts.Sum() - possible.Sum(s => counts[s]);

            impossible.Should().Be(0, "position {0} can only hold {1} symbols", position, possible.Length);
            chiSquare.Should().BeLessThan(
                ChiSquareCritical(possible.Length - 1),
                "position {0} must be uniform (chi-square with {1} degrees of freedom)", position, possible.Length - 1);
        }
    }

    [Test]
    public void The_checks_reject_a_generator_with_a_little_structure()
    {
        // The same checks against ids whose first byte only takes 128 of its 256 values (one bit of structure in
        // 128): they must fail, or the checks above prove nothing.
        var weak = new UInt128[100_000];
        var random = new Random(7);
        Span<byte> bytes = stackalloc byte[16];
        for (int i = 0; i < weak.Length; i++)
        {
            random.NextBytes(bytes);
            bytes[0] &= 0x7F;
            weak[i] = new UInt128(BitConverter.ToUInt64(bytes[..8]), BitConverter.ToUInt64(bytes[8..]));
        }

        long[] ones = CountOnes(weak);
        double sigma = Math.Sqrt(weak.Length * 0.25);
        Enumerable.Range(0, Bits).Count(bit => Math.Abs(ones[bit] - (weak.Length / 2.0)) >= Sigmas * sigma)
            .Should().Be(1, "the stuck bit is found and no other");
    }

    private static long[] CountOnes(UInt128[] values)
    {
        long[] ones = new long[Bits];
        foreach (UInt128 value in values)
        {
            ulong low = (ulong)value;
            ulong high = (ulong)(value >> 64);
            for (int bit = 0; bit < 64; bit++)
            {
                ones[bit] += (long)((high >> bit) & 1);
                ones[64 + bit] += (long)((low >> bit) & 1);
            }
        }

        return ones;
    }

    // Upper critical value of chi-square at p = 1e-6 (Wilson-Hilferty; slightly above the exact value at few degrees
    // of freedom, so never stricter than intended).
    private static double ChiSquareCritical(int degreesOfFreedom)
    {
        const double Z = 4.753; // one-sided normal quantile of 1e-6
        double k = degreesOfFreedom;
        double term = 1 - (2 / (9 * k)) + (Z * Math.Sqrt(2 / (9 * k)));
        return k * term * term * term;
    }
}
