using NodaTime;

namespace Limps.Sessions.Tests.Handles;

/// <summary>The tool-error texts and structured content of design §8, byte for byte, and masked exception messages.</summary>
public class HandleErrorTextTests
{
    private static readonly Instant At = Instant.FromUtc(2026, 11, 30, 10, 30);

    [Test]
    public void Expired_matches_the_design_byte_for_byte()
    {
        HandleUnavailableException error =
            HandleUnavailableException.Expired("basket", "bsk_a1b2c3", ExpiryReason.Timeout, At, "create_basket");

        error.ToolResultText.Should().Be(
            "basket bsk_a1b2c3 has expired (reason: timeout, at 2026-11-30T10:30:00.000Z). Call create_basket to start a new one.");
        error.StructuredContent.Should().Be(
            """{"code":"HANDLE_EXPIRED","kind":"basket","handle":"bsk_a1b2c3","reason":"timeout","expiredAt":"2026-11-30T10:30:00.000Z"}""");
        error.Code.Should().Be("HANDLE_EXPIRED");
    }

    [Test]
    public void Not_found_matches_the_design_byte_for_byte()
    {
        HandleUnavailableException error = HandleUnavailableException.NotFound("basket", "bsk_a1b2c3", "create_basket");

        error.ToolResultText.Should().Be(
            "basket bsk_a1b2c3 is not known. It may be mistyped, or it ended too long ago to remember. Call create_basket to start a new one.");
        error.StructuredContent.Should().Be("""{"code":"HANDLE_NOT_FOUND","kind":"basket","handle":"bsk_a1b2c3"}""");
    }

    [Test]
    public void Invalid_is_the_same_as_not_found_with_its_own_code()
    {
        HandleUnavailableException error = HandleUnavailableException.Invalid("basket", "bsk_a1b2c3", "create_basket");

        error.ToolResultText.Should().Be(HandleUnavailableException.NotFound("basket", "bsk_a1b2c3", "create_basket").ToolResultText);
        error.StructuredContent.Should().Be("""{"code":"HANDLE_INVALID","kind":"basket","handle":"bsk_a1b2c3"}""");
    }

    [Test]
    public void Milliseconds_are_kept_and_instants_are_utc()
    {
        HandleUnavailableException error = HandleUnavailableException.Expired(
            "basket", "bsk_x", new RevokedReason(), At + Duration.FromMilliseconds(7) + Duration.FromTicks(9));

        error.StructuredContent.Should().EndWith("\"reason\":\"revoked\",\"expiredAt\":\"2026-11-30T10:30:00.007Z\"}");
        error.ToolResultText.Should().Be("basket bsk_x has expired (reason: revoked, at 2026-11-30T10:30:00.007Z).");
    }

    [Test]
    public void Hostile_text_is_escaped_in_json_and_cut_when_overlong()
    {
        HandleUnavailableException quoted = HandleUnavailableException.Invalid("basket", "a\"b\\c\n<d>", "create_basket");
        quoted.StructuredContent.Should().Be("""{"code":"HANDLE_INVALID","kind":"basket","handle":"a\u0022b\\c\n\u003Cd\u003E"}""");
        System.Text.Json.JsonDocument.Parse(quoted.StructuredContent).RootElement.GetProperty("handle").GetString()
            .Should().Be("a\"b\\c\n<d>");

        string huge = new('x', 10_000);
        HandleUnavailableException cut = HandleUnavailableException.Invalid("basket", huge);
        cut.Handle.Should().Be(new string('x', 128) + "...");
        cut.StructuredContent.Length.Should().BeLessThan(250);
        cut.ToolResultText.Length.Should().BeLessThan(250);

        HandleUnavailableException missing = HandleUnavailableException.Invalid("basket", null, "create_basket");
        missing.Handle.Should().BeEmpty();
        missing.ToolResultText.Should().StartWith("basket \"\" is not known.");
        missing.StructuredContent.Should().Be("""{"code":"HANDLE_INVALID","kind":"basket","handle":""}""");
    }

    [Test]
    public void Messages_never_carry_the_full_handle()
    {
        const string Handle = "bsk_AAAAAAAAAAAAAAAAAAAAAA";

        foreach (HandleUnavailableException error in new[]
                 {
                     HandleUnavailableException.Expired("basket", Handle, ExpiryReason.Deleted, At, "create_basket"),
                     HandleUnavailableException.NotFound("basket", Handle, "create_basket"),
                     HandleUnavailableException.Invalid("basket", Handle, "create_basket"),
                 })
        {
            error.Message.Should().NotContain(Handle).And.Contain("bsk_AAAA...");
            error.ToString().Should().NotContain(Handle);
            error.Handle.Should().Be(Handle);
        }

        HandleUnavailableException.NotFound("basket", "bsk_ab").Message.Should().StartWith("basket bsk...");
    }

    [Test]
    public void Plain_constructors_answer_not_found()
    {
        new HandleUnavailableException().Code.Should().Be(HandleErrorCodes.NotFound);
        new HandleUnavailableException("m", new InvalidOperationException()).InnerException.Should().NotBeNull();
        new HandleCapacityExceededException().Limit.Should().BeNull();
        new HandleCapacityExceededException("m", new InvalidOperationException()).Message.Should().Be("m");
    }
}
