using System.Net;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>A store that cannot answer gets 503 (never a 404 that would drop a live session), and service resumes.</summary>
[TestFixture]
public sealed class StoreFailureTests
{
    [Test]
    public async Task An_unreachable_store_answers_503_and_the_session_survives_it()
    {
        var store = new UnavailableStore();
        await using TestHost host = await StartAsync(store);
        string id = await host.InitializeAsync();

        store.GoDown();
        using HttpResponseMessage down = await host.CallEchoAsync(id);
        using HttpResponseMessage initializeWhileDown = await host.Client.SendAsync(host.Request(HttpMethod.Post, body: TestHost.InitializeBody()));
        store.ComeBack();
        using HttpResponseMessage back = await host.CallEchoAsync(id);

        down.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        down.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(5));
        (await down.Content.ReadAsStringAsync()).Should().Be(
            """{"error":"Session store unavailable","code":"SESSION_STORE_UNAVAILABLE","message":"The server cannot check sessions right now. Keep the session ID and retry later."}""");
        initializeWhileDown.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        back.StatusCode.Should().Be(HttpStatusCode.OK, "the session was never dropped");
    }

    [Test]
    public async Task An_initialize_whose_registration_fails_gets_503_without_an_id_and_the_server_drops_its_session()
    {
        var store = new UnavailableStore();
        await using TestHost host = await StartAsync(store);
        store.FailRegistrations();

        using HttpResponseMessage response = await host.Client.SendAsync(host.Request(HttpMethod.Post, body: TestHost.InitializeBody()));

        store.ComeBack();
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.Contains(SessionHeaders.SessionId).Should().BeFalse();
        (await host.Registry.CountAsync()).Should().Be(0);
        (await Eventually.TrueAsync(() => Task.FromResult(host.SdkClosedSessions.ClosedCount == 1)))
            .Should().BeTrue("the MCP server's session that Limps could not register is dropped");
    }

    private static Task<TestHost> StartAsync(UnavailableStore store) => TestHost.StartAsync(
        o => o.IdleTimeout = TimeSpan.FromMinutes(5),
        b => b.Services.AddSingleton<ISessionRegistry>(sp => store.Wrap(new InMemorySessionRegistry(
            sp.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value,
            sp.GetRequiredService<IClock>(),
            sp.GetRequiredService<IExpiryLedger>(),
            sp.GetServices<ISessionLifecycleObserver>()))));
}
