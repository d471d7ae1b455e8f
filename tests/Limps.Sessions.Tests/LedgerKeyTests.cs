namespace Limps.Sessions.Tests;

/// <summary>The ledger keeps standard ids as 128 bits; these tests hold it to never merging two different ids.</summary>
public class LedgerKeyTests
{
    [Test]
    public void Ids_that_decode_to_the_same_bits_but_are_spelled_differently_are_different_keys()
    {
        // Base64url ignores the low 4 bits of the 22nd character: "A" and "B" there decode to the same 16 bytes.
        SessionId canonical = SessionId.Parse("AAAAAAAAAAAAAAAAAAAAAA");
        SessionId sameBits = SessionId.Parse("AAAAAAAAAAAAAAAAAAAAAB");

        LedgerKey.From(canonical).Should().NotBe(LedgerKey.From(sameBits));
    }

    [Test]
    public void Equal_ids_give_equal_keys_and_hashes_whatever_their_form()
    {
        foreach (string id in new[] { SessionId.New().ToString(), "short-id", new string('x', 128), "AAAAAAAAAAAAAAAAAAAAAB" })
        {
            LedgerKey first = LedgerKey.From(SessionId.Parse(id));
            LedgerKey second = LedgerKey.From(SessionId.Parse(new string(id.ToCharArray())));

            first.Should().Be(second);
            first.GetHashCode().Should().Be(second.GetHashCode());
            first.Equals((object)second).Should().BeTrue();
        }
    }

    [Test]
    public async Task The_ledger_answers_both_ids_of_a_same_bits_pair_separately()
    {
        var ledger = new InMemoryExpiryLedger(new LimpsSessionsOptions(), new NodaTime.Testing.FakeClock(TestTime.Start));
        SessionId canonical = SessionId.Parse("AAAAAAAAAAAAAAAAAAAAAA");
        SessionId sameBits = SessionId.Parse("AAAAAAAAAAAAAAAAAAAAAB");

        await ledger.RecordAsync(new ExpiredSession(canonical, ExpiryReason.Deleted, TestTime.Start, TestTime.Start));

        (await ledger.FindAsync(canonical))!.Reason.Should().Be(ExpiryReason.Deleted);
        (await ledger.FindAsync(sameBits)).Should().BeNull();
        (await ledger.FindAsync(canonical))!.Id.ToString().Should().Be("AAAAAAAAAAAAAAAAAAAAAA");
    }
}
