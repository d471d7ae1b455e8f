using System.Net;
using System.Text.Json;
using Limps.Sessions.AspNetCore;
using Limps.Sessions.Redis.Tests.Infrastructure;
using NodaTime.Testing;

namespace Limps.Sessions.Redis.Tests;

/// <summary>
/// Two replicas of the sample MCP host behind an imaginary load balancer, sharing one Redis: a session created on
/// one is served by the other, and every end is reported the same by both.
/// </summary>
[CancelAfter(60_000)]
public class TwoReplicaHttpTests
{
    private FakeClock _clock = null!;
    private ReplicaHost _a = null!;
    private ReplicaHost _b = null!;

    [SetUp]
    public async Task StartAsync()
    {
        string prefix = RedisTestServer.NewPrefix();
        _clock = new FakeClock(TestTime.Start);
        _a = await ReplicaHost.StartAsync(RedisTestServer.Connection, prefix, _clock);
        _b = await ReplicaHost.StartAsync(RedisTestServer.Connection, prefix, _clock);
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Test]
    public async Task A_session_created_on_A_is_used_on_B()
    {
        string id = await _a.InitializeAsync();

        using HttpResponseMessage onB = await _b.CallEchoAsync(id, "from B");

        onB.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonElement message = await McpMessageAsync(onB);
        message.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString().Should().Contain("from B");
        using HttpResponseMessage backOnA = await _a.CallEchoAsync(id, "from A");
        backOnA.StatusCode.Should().Be(HttpStatusCode.OK);
        (await _a.Registry.LookupAsync(SessionId.Parse(id))).IsActive.Should().BeTrue();
    }

    [Test]
    public async Task A_timeout_swept_by_A_reads_as_timeout_on_B()
    {
        string id = await _a.InitializeAsync();
        using (HttpResponseMessage used = await _b.CallEchoAsync(id))
        {
            used.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        _clock.Advance(NodaTime.Duration.FromMinutes(31));
        _a.TickSweeper();
        (await Eventually.TrueAsync(async () => await _a.Ledger.FindAsync(SessionId.Parse(id)) is not null))
            .Should().BeTrue("A's hosted sweeper ends the idle session and writes its tombstone");
        ExpiredSession tombstone = (await _b.Ledger.FindAsync(SessionId.Parse(id)))!;

        using HttpResponseMessage onB = await _b.CallEchoAsync(id);

        onB.StatusCode.Should().Be(HttpStatusCode.NotFound);
        onB.Headers.GetValues(SessionHeaders.Expired).Should().Equal("true");
        onB.Headers.GetValues(SessionHeaders.ExpiredReason).Should().Equal("timeout");
        JsonElement body = JsonDocument.Parse(await onB.Content.ReadAsStringAsync()).RootElement;
        body.GetProperty("code").GetString().Should().Be("SESSION_EXPIRED");
        body.GetProperty("expiredAt").GetString().Should().Be("2026-02-11T10:30:00.000Z");
        tombstone.ExpiredAt.Should().Be(TestTime.Start + NodaTime.Duration.FromMinutes(30));
        using HttpResponseMessage onA = await _a.CallEchoAsync(id);
        onA.Headers.GetValues(SessionHeaders.ExpiredReason).Should().Equal("timeout");
    }

    [Test]
    public async Task A_DELETE_on_B_reads_as_deleted_on_A_and_A_releases_its_MCP_state()
    {
        string id = await _a.InitializeAsync();

        using HttpResponseMessage deleted = await _b.DeleteAsync(id);
        deleted.StatusCode.Should().Be(HttpStatusCode.OK);

        using HttpResponseMessage onA = await _a.CallEchoAsync(id);
        onA.StatusCode.Should().Be(HttpStatusCode.NotFound);
        onA.Headers.GetValues(SessionHeaders.ExpiredReason).Should().Equal("deleted");
        (await Eventually.TrueAsync(() => Task.FromResult(_a.SdkClosed(id))))
            .Should().BeTrue("B announced the end, and A's MCP server released its own copy of the session");
    }

    [Test]
    public async Task A_users_session_created_on_A_used_on_B_and_deleted_on_A_is_released_on_B_as_its_owner()
    {
        string id = await _a.InitializeAsync(user: "alice");
        using (HttpResponseMessage onB = await _b.CallEchoAsync(id, "from B", user: "alice"))
        {
            onB.StatusCode.Should().Be(HttpStatusCode.OK, "B's MCP server took the session over for its owner");
        }

        _b.SdkClosed(id).Should().BeFalse();
        using HttpResponseMessage deleted = await _a.DeleteAsync(id, user: "alice");
        deleted.StatusCode.Should().Be(HttpStatusCode.OK);

        (await Eventually.TrueAsync(() => Task.FromResult(_b.SdkClosed(id))))
            .Should().BeTrue("the announced end carries the owner, so B's in-process DELETE is sent as alice and accepted, not refused with 403");
        ExpiredSession tombstone = (await _b.Ledger.FindAsync(SessionId.Parse(id)))!;
        tombstone.Owner.Should().NotBeNull().And.Contain("alice");
        using HttpResponseMessage again = await _b.CallEchoAsync(id, user: "alice");
        again.Headers.GetValues(SessionHeaders.ExpiredReason).Should().Equal("deleted");
    }

    [Test]
    public async Task Stopping_one_replica_does_not_close_the_shared_sessions()
    {
        string id = await _a.InitializeAsync();

        await _a.DisposeAsync();
        _a = await ReplicaHost.StartAsync(RedisTestServer.Connection, RedisTestServer.NewPrefix(), _clock);

        using HttpResponseMessage onB = await _b.CallEchoAsync(id);
        onB.StatusCode.Should().Be(HttpStatusCode.OK, "a rolling restart of one replica must not end every session");
    }

    private static async Task<JsonElement> McpMessageAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        string json = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? text.Split('\n').First(line => line.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]
            : text;
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
