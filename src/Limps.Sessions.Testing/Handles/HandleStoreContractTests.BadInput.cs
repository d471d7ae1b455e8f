// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// bad input
public abstract partial class HandleStoreContractTests
{
    private static IEnumerable<string?> Malformed()
    {
        string valid = "bsk_" + Base64UrlEncoded(new byte[16]);
        yield return null;
        yield return string.Empty;
        yield return "bsk_";
        yield return "bsk_a1b2c3";
        yield return valid[..^1];
        yield return valid + "A";
        yield return new string('a', 100_000);
        yield return "crt_" + valid[4..];                   // another kind's prefix, same length
        yield return "BSK_" + valid[4..];                   // prefixes are case-sensitive
        yield return "bskx" + valid[4..];
        yield return valid[..^1] + "B";                     // non-canonical: the last character's low bits must be clear
        yield return valid[..10] + "+" + valid[11..];       // base64, not base64url
        yield return valid[..10] + " " + valid[11..];
        yield return valid[..10] + "\n" + valid[11..];
        yield return valid[..10] + "é" + valid[11..];
        yield return valid[..10] + "=" + valid[11..];
        yield return " " + valid[..^1];
    }

    [TestCaseSource(nameof(Malformed))]
    public async Task Malformed_text_is_answered_invalid_by_every_operation_and_changes_nothing(string? text)
    {
        using HandleStoreHarness h = Create();
        string live = await h.Store.CreateAsync(Basket.Of("apple"), Alice);
        bool ran = false;

        HandleUnavailableException use = await Refused(async () => await h.Store.UseAsync(text, Alice));
        HandleUnavailableException update = await Refused(async () => await h.Store.UpdateAsync(text, Alice, b => { ran = true; return b; }));
        HandleUnavailableException destroy = await Refused(async () => await h.Store.DestroyAsync(text, Alice));
        (await h.Store.EndAsync(text, ExpiryReason.Closed)).Should().BeFalse();

        foreach (HandleUnavailableException error in new[] { use, update, destroy })
        {
            error.Code.Should().Be(HandleErrorCodes.Invalid);
            error.Kind.Should().Be("basket");
            error.Reason.Should().BeNull();
            error.Handle.Should().Be(text is null ? string.Empty : text.Length <= 128 ? text : text[..128] + "...");
            error.StructuredContent.Should().StartWith("{\"code\":\"HANDLE_INVALID\",\"kind\":\"basket\",\"handle\":");
            error.ToolResultText.Should().EndWith("It may be mistyped, or it ended too long ago to remember. Call create_basket to start a new one.");
            if (text is { Length: > 8 })
            {
                error.Message.Should().NotContain(text);
            }
        }

        ran.Should().BeFalse();
        (await h.Store.UseAsync(live, Alice)).Items.Should().Equal("apple");
        h.Observer.Ended.Should().BeEmpty();
        (await h.LedgerCountAsync()).Should().Be(0);
    }

    [Test]
    public async Task A_well_formed_handle_nobody_created_is_answered_not_found()
    {
        using HandleStoreHarness h = Create();
        string handle = UnknownHandle();

        HandleUnavailableException error = await Refused(async () => await h.Store.UseAsync(handle, Alice));

        error.Code.Should().Be(HandleErrorCodes.NotFound);
        error.ToolResultText.Should().Be(
            $"basket {handle} is not known. It may be mistyped, or it ended too long ago to remember. Call create_basket to start a new one.");
        error.StructuredContent.Should().Be($$"""{"code":"HANDLE_NOT_FOUND","kind":"basket","handle":"{{handle}}"}""");
        error.Message.Should().NotContain(handle).And.Contain(handle[..8] + "...");
    }
}
