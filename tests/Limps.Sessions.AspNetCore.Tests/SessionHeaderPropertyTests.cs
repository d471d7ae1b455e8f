using System.Text;
using System.Text.Json;
using CsCheck;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.Primitives;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>
/// Property-based checks (CsCheck) of the HTTP id check with hostile <c>Mcp-Session-Id</c> headers: any string (control
/// characters, CR/LF, NUL, DEL, Latin-1, lone surrogates, 0 to 10,000 characters), any bytes, the header repeated,
/// comma-joined values and near-misses of a live id, on POST, GET and DELETE, by anonymous and authenticated callers.
/// The answer is always 400 INVALID_SESSION_ID or a 404 body, never a 5xx or an exception; and neither the registry,
/// nor the ledger, nor the live session's activity changes.
/// </summary>
[TestFixture]
public sealed class SessionHeaderPropertyTests
{
    private static readonly Gen<char> AnyChar = Gen.Frequency(
        (12, (IGen<char>)Gen.Char['!', '~']),
        (2, Gen.Char['\0', ' ']),
        (2, Gen.Char["\r\n\0\t\u007F ,;\""]),
        (2, Gen.Char['\u0080', '\u00FF']),
        (1, Gen.Char['\uD800', '\uDFFF']),
        (1, Gen.Char));

    private static readonly Gen<string> AnyString = Gen.Frequency(
        (6, (IGen<string>)AnyChar.Array[0, 40].Select(c => new string(c))),
        (2, AnyChar.Array[120, 136].Select(c => new string(c))),
        (1, AnyChar.Array[0, 10_000].Select(c => new string(c))),
        (3, Gen.Char['!', '~'].Array[1, 128].Select(c => new string(c))),
        (1, Gen.Char['!', '~'].Array[129, 300].Select(c => new string(c))));

    private static readonly Gen<string> Method = Gen.OneOf("POST", "GET", "DELETE");
    private static readonly Gen<string?> User = Gen.OneOf<string?>(null, "alice", "bob");

    [Test]
    public async Task Any_session_header_value_is_answered_400_or_404_and_changes_nothing()
    {
        await using TestHost host = await TestHost.StartAsync(o => o.IdleTimeout = TimeSpan.FromMinutes(30));
        string live = await host.InitializeAsync(user: "alice");
        string ended = await host.InitializeAsync();
        using (await host.Client.SendAsync(host.Request(HttpMethod.Delete, ended)))
        {
        }

        host.Clock.Advance(Duration.FromMinutes(1));
        Instant lastActive = (await host.LookupAsync(live)).Session.LastActiveAt;
        int tombstones = await host.Ledger.CountAsync();

        // Near-misses of the live id: another case, a character more or less, padding, an injected line.
        string[] nearMisses =
        [
            live.ToUpperInvariant(), live.ToLowerInvariant(), live + "x", live[..^1], " " + live, live + " ", "\t" + live,
            live + "\r\nX-Injected: 1", live + "\0", "\0" + live, live + ",", live + "," + live, live + ", " + ended,
            string.Concat(live, live), live.Replace('-', '+').Replace('_', '/'),
        ];
        nearMisses = [.. nearMisses.Where(v => v != live)]; // the exact id would be Alice's own request
        Gen<StringValues> header = Gen.Frequency(
            (8, (IGen<StringValues>)AnyString.Select(s => new StringValues(s))),
            (3, Gen.Byte.Array[0, 300].Select(b => new StringValues(Encoding.Latin1.GetString(b)))),
            (2, AnyString.Array[2, 4].Select(values => new StringValues(values))),
            (2, AnyString.Array[2, 3].Select(values => new StringValues(string.Join(',', values)))),
            (2, Gen.OneOf(nearMisses).Select(s => new StringValues(s))),
            (1, Gen.OneOf(new StringValues([live, live]), new StringValues([live, ended]), new StringValues([live, string.Empty]))),
            (1, Gen.Const(new StringValues(ended))));

        await Gen.Select(header, Method, User).SampleAsync(async (ids, method, user) =>
        {
            RawAnswer answer = await host.SendWithSessionHeaderAsync(method, ids, user, method == "POST" ? TestHost.JsonRpc("tools/list", 2) : null);

            string expected = ids.Count != 1 || !SessionId.IsValid(ids[0]) ? "INVALID_SESSION_ID"
                : ids[0] == ended && user is null ? "SESSION_EXPIRED" // another user's ended session looks unknown
                : "SESSION_NOT_FOUND";
            answer.Status.Should().Be(expected == "INVALID_SESSION_ID" ? 400 : 404);
            answer.Headers.ContentType.ToString().Should().Be("application/json");
            using JsonDocument body = JsonDocument.Parse(answer.Body);
            body.RootElement.GetProperty("code").GetString().Should().Be(expected);
            answer.Headers.ContainsKey(SessionHeaders.Expired).Should().Be(expected == "SESSION_EXPIRED");
            answer.Body.Should().NotContain(live, "an answer never echoes an id");
        }, iter: 5_000, print: t => $"{t.Item2} by {t.Item3 ?? "anonymous"}: [{string.Join(" | ", t.Item1.Select(v => Escape(v ?? "(null)")))}]");

        (await host.Registry.CountAsync()).Should().Be(1);
        (await host.Ledger.CountAsync()).Should().Be(tombstones, "no answer wrote a tombstone");
        SessionLookup after = await host.LookupAsync(live);
        after.IsActive.Should().BeTrue();
        after.Session.LastActiveAt.Should().Be(lastActive, "no request with another id touched the live session");
    }

    [Test]
    public async Task Any_bytes_on_the_wire_in_the_session_header_get_400_or_404_from_Kestrel_and_Limps()
    {
        // The live session is Alice's; the raw requests are anonymous, so even its exact id gets 404.
        await using TestHost host = await TestHost.StartAsync(kestrel: true);
        string live = await host.InitializeAsync(user: "alice");
        host.Clock.Advance(Duration.FromMinutes(1));
        Instant lastActive = (await host.LookupAsync(live)).Session.LastActiveAt;
        string body = TestHost.JsonRpc("tools/list", 2);

        Gen<byte[]> bytes = Gen.Frequency(
            (4, (IGen<byte[]>)Gen.Byte.Array[0, 200]),
            (2, Gen.Byte[0x21, 0x7E].Array[1, 128]),
            (1, Gen.Byte.Array[1_000, 10_000]),
            (1, Gen.OneOf(
                Encoding.ASCII.GetBytes(live + "\r\nX-Injected: 1"),
                Encoding.ASCII.GetBytes(live + "\nX-Injected: 1"),
                Encoding.ASCII.GetBytes(live + "\r" + live),
                Encoding.ASCII.GetBytes(live + "\0"),
                Encoding.Latin1.GetBytes(live + "\u00e9"),
                Encoding.UTF8.GetBytes(live + "\u00e9"),
                [0xFF, 0xFE, 0x00, 0x41])));

        await bytes.SampleAsync(async value =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int status = await RawRequests.PostRawBytesAsync(host.BaseAddress, value, body, timeout.Token);

            status.Should().BeOneOf(400, 404);
            if (value.Length is >= 1 and <= SessionId.MaxLength && value.All(b => b is >= 0x21 and <= 0x7E))
            {
                status.Should().Be(404, "a well-formed id that was never issued is unknown");
            }
        }, iter: 1_000, print: v => Convert.ToHexString(v.Length > 64 ? v[..64] : v) + (v.Length > 64 ? $"... ({v.Length} bytes)" : string.Empty));

        (await host.Registry.CountAsync()).Should().Be(1);
        (await host.Ledger.CountAsync()).Should().Be(0);
        (await host.LookupAsync(live)).Session.LastActiveAt.Should().Be(lastActive);
    }

    [Test]
    public async Task Any_protocol_version_header_with_any_id_never_gets_a_5xx_and_changes_nothing()
    {
        // A sessionless MCP-Protocol-Version sends the request past Limps to the MCP server; whatever that answers,
        // nothing reaches the registry.
        await using TestHost host = await TestHost.StartAsync();
        string live = await host.InitializeAsync(user: "alice");
        host.Clock.Advance(Duration.FromMinutes(1));
        Instant lastActive = (await host.LookupAsync(live)).Session.LastActiveAt;
        Gen<string> version = Gen.Frequency(
            (3, (IGen<string>)Gen.OneOf("2026-07-28", "2099-12-31", "9999-99-99", "2025-11-25", "2026-07-2", "2026-07-280")),
            (2, Gen.Char['!', '~'].Array[10].Select(c => new string(c))),
            (1, AnyString));

        await Gen.Select(version, Gen.OneOf(live, "never-issued", "bad id"), Gen.OneOf<string?>(null, "bob")).SampleAsync(async (v, id, user) =>
        {
            RawAnswer answer = await host.SendWithSessionHeaderAsync(
                "POST", id, user, TestHost.JsonRpc("tools/call", 3, new { name = "echo", arguments = new { message = "x" } }),
                protocolVersion: v);
            answer.Status.Should().BeLessThan(500);
        }, iter: 300);

        (await host.Registry.CountAsync()).Should().Be(1);
        (await host.Ledger.CountAsync()).Should().Be(0);
        (await host.LookupAsync(live)).Session.LastActiveAt.Should().Be(lastActive);
    }

    private static string Escape(string value)
    {
        string shown = value.Length > 80 ? value[..80] + $"... ({value.Length} chars)" : value;
        var builder = new StringBuilder();
        foreach (char c in shown)
        {
            builder.Append(c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}");
        }

        return builder.ToString();
    }
}
