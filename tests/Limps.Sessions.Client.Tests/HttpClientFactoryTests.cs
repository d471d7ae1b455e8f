using System.Net;
using Limps.Sessions.Client.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace Limps.Sessions.Client.Tests;

/// <summary><c>AddMcpSessionRecovery()</c>: recovery for clients made by <c>IHttpClientFactory</c>.</summary>
public class HttpClientFactoryTests
{
    private const string ClientName = "mcp";

    [Test]
    public async Task A_factory_client_recovers_a_lost_session_with_the_options_given_at_registration()
    {
        var server = new ScriptedServer();
        var logs = new FakeLogCollector();
        await using ServiceProvider services = Services(server, logs, o => o.MaxConsecutiveRecoveries = 2);
        HttpClient client = services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);

        string id = await ConnectAsync(client);
        server.End(id, "timeout");
        using HttpResponseMessage response = await client.SendAsync(Harness.Post(id, CallBody));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("Mcp-Session-Id").Should().Equal([id], "the caller keeps the id it knows");
        server.Initializes.Should().HaveCount(2, "one re-initialize after the loss");
        services.GetRequiredService<IOptionsMonitor<SessionRecoveryOptions>>().Get(ClientName)
            .MaxConsecutiveRecoveries.Should().Be(2);
        logs.GetSnapshot().Should().Contain(r => r.Category == typeof(SessionRecoveryHandler).FullName);
    }

    [Test]
    public async Task A_session_started_before_the_factory_replaced_its_handler_is_still_recovered_after()
    {
        var server = new ScriptedServer();
        await using ServiceProvider services = Services(server, new FakeLogCollector());

        // Build the pipeline twice, as the factory does when a handler's lifetime ends.
        using var before = new HttpClient(BuildPipeline(services), disposeHandler: true) { BaseAddress = BaseAddress };
        string id = await ConnectAsync(before);
        using var after = new HttpClient(BuildPipeline(services), disposeHandler: true) { BaseAddress = BaseAddress };
        server.End(id, "timeout");

        using HttpResponseMessage response = await after.SendAsync(Harness.Post(id, CallBody));

        response.StatusCode.Should().Be(HttpStatusCode.OK, "the new handler knows the session the old one saw start");
        server.Initializes.Should().HaveCount(2);
    }

    [Test]
    public async Task Clients_of_different_names_do_not_share_sessions()
    {
        var server = new ScriptedServer();
        var services = new ServiceCollection();
        services.AddHttpClient(ClientName, c => c.BaseAddress = BaseAddress)
            .ConfigurePrimaryHttpMessageHandler(() => server)
            .AddMcpSessionRecovery();
        services.AddHttpClient("other", c => c.BaseAddress = BaseAddress)
            .ConfigurePrimaryHttpMessageHandler(() => server)
            .AddMcpSessionRecovery();
        await using ServiceProvider provider = services.BuildServiceProvider();
        IHttpClientFactory factory = provider.GetRequiredService<IHttpClientFactory>();

        string id = await ConnectAsync(factory.CreateClient(ClientName));
        server.End(id, "timeout");
        using HttpResponseMessage response = await factory.CreateClient("other").SendAsync(Harness.Post(id, CallBody));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound, "the other client never saw this session start");
        server.Initializes.Should().ContainSingle();
    }

    [Test]
    public void A_null_builder_is_refused() =>
        FluentActions.Invoking(() => SessionRecoveryHttpClientBuilderExtensions.AddMcpSessionRecovery(null!))
            .Should().Throw<ArgumentNullException>();

    private static readonly Uri BaseAddress = new("http://mcp.test/");

    private const string CallBody = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{}}}""";

    private static ServiceProvider Services(ScriptedServer server, FakeLogCollector logs, Action<SessionRecoveryOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace));
        services.AddHttpClient(ClientName, c => c.BaseAddress = BaseAddress)
            .ConfigurePrimaryHttpMessageHandler(() => server)
            .AddMcpSessionRecovery(configure);
        return services.BuildServiceProvider();
    }

    private static HttpMessageHandler BuildPipeline(IServiceProvider services)
    {
        HttpMessageHandlerBuilder builder = services.GetRequiredService<HttpMessageHandlerBuilder>();
        builder.Name = ClientName;
        foreach (Action<HttpMessageHandlerBuilder> action in services.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>()
                     .Get(ClientName).HttpMessageHandlerBuilderActions)
        {
            action(builder);
        }

        return builder.Build();
    }

    private static async Task<string> ConnectAsync(HttpClient client)
    {
        using HttpResponseMessage initialized = await client.SendAsync(Harness.Post(null, Harness.InitializeBody, protocolVersion: null));
        initialized.EnsureSuccessStatusCode();
        string id = initialized.Headers.GetValues("Mcp-Session-Id").Single();
        using HttpResponseMessage notified = await client.SendAsync(Harness.Post(id, Harness.InitializedBody));
        notified.EnsureSuccessStatusCode();
        return id;
    }
}
