using System.Net;
using CsCheck;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.Primitives;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>
/// A session bound to one user is answered exactly as an unknown id for every other user and for anonymous callers,
/// whatever they send (POST, GET, DELETE), and their requests neither refresh it, nor hold it open, nor end it.
/// Property-based (CsCheck) over caller names: look-alikes of the owner (case, padding, control characters, Unicode
/// confusables), empty and absent identities, and arbitrary strings.
/// </summary>
[TestFixture]
public sealed class OwnershipPropertyTests
{
    private const string Owner = "alice";

    private static readonly Gen<string?> OtherCaller = Gen.Frequency(
        (3, (IGen<string?>)Gen.OneOf<string?>(
            null, string.Empty, "bob", "Alice", "ALICE", "alice ", " alice", "alice\t", "alice\0", "alic", "alicee",
            "\u0430lice", "alice\u200B", "a\u006C\u0069ce\u0301", "alice,alice", "alice\u001Falice")),
        (2, Gen.Char['!', '~'].Array[1, 24].Select(c => (string?)new string(c))),
        (1, Gen.Char.Array[0, 64].Select(c => (string?)new string(c))));

    private static readonly Gen<string> Method = Gen.OneOf("POST", "GET", "DELETE");

    [Test]
    public async Task Every_other_caller_gets_the_unknown_id_answer_and_changes_nothing()
    {
        TimeSpan idle = TimeSpan.FromMinutes(5);
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = idle);
        string id = await host.InitializeAsync(user: Owner);
        host.Clock.Advance(Duration.FromMinutes(1));
        Instant lastActive = (await host.LookupAsync(id)).Session.LastActiveAt;
        RawAnswer unknown = await host.SendWithSessionHeaderAsync("POST", "never-issued-id", "bob", TestHost.JsonRpc("tools/list", 2));
        unknown.Status.Should().Be(404);

        int refused = 0;
        await Gen.Select(OtherCaller.Where(u => u != Owner), Method).SampleAsync(async (user, method) =>
        {
            string? body = method == "POST"
                ? TestHost.JsonRpc("tools/call", 3, new { name = "echo", arguments = new { message = "let me in" } })
                : null;
            RawAnswer answer = await host.SendWithSessionHeaderAsync(method, new StringValues(id), user, body);

            answer.Status.Should().Be((int)HttpStatusCode.NotFound);
            answer.Body.Should().Be(unknown.Body, "someone else's session looks exactly like one that does not exist");
            answer.Headers.ContentType.ToString().Should().Be(unknown.Headers.ContentType.ToString());
            answer.Headers.ContainsKey(SessionHeaders.Expired).Should().BeFalse();
            answer.Headers.ContainsKey(SessionHeaders.ExpiredReason).Should().BeFalse();
            answer.Headers.ContainsKey(SessionHeaders.SessionId).Should().BeFalse();
            Interlocked.Increment(ref refused);
        }, iter: 1_000, print: t => $"{t.Item2} by [{t.Item1 ?? "(no identity)"}]");

        refused.Should().BeGreaterThanOrEqualTo(1_000);
        SessionLookup after = await host.LookupAsync(id);
        after.IsActive.Should().BeTrue("no other caller could end it");
        after.Session.LastActiveAt.Should().Be(lastActive, "no other caller's request refreshed it");

        // Nor did any of them leave a lease behind: it idles out exactly one idle timeout after its owner's last use.
        host.Clock.Advance(Duration.FromTimeSpan(idle) - Duration.FromMinutes(1));
        SessionLookup expired = await host.LookupAsync(id);
        expired.IsExpired.Should().BeTrue();
        expired.Expiry.Reason.Should().Be(ExpiryReason.Timeout);
        expired.Expiry.ExpiredAt.Should().Be(lastActive + Duration.FromTimeSpan(idle));
    }

    [Test]
    public async Task The_owner_still_uses_the_session_after_others_were_turned_away()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.InitializeAsync(user: Owner);
        foreach (string? user in new[] { null, "bob", "Alice" })
        {
            foreach (string method in new[] { "POST", "GET", "DELETE" })
            {
                (await host.SendWithSessionHeaderAsync(method, id, user, method == "POST" ? TestHost.JsonRpc("tools/list", 2) : null))
                    .Status.Should().Be(404);
            }
        }

        using HttpResponseMessage own = await host.CallEchoAsync(id, "still mine", user: Owner);
        own.StatusCode.Should().Be(HttpStatusCode.OK);
        host.Logs.GetSnapshot().Count(r => r.Id.Name == "SessionOwnerMismatch").Should().Be(9);
    }
}
