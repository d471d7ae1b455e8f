using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.AspNetCore.Tests;

[TestFixture]
public sealed class RegistrationTests
{
    [Test]
    public void AddLimpsSessions_is_idempotent()
    {
        var services = new ServiceCollection();

        services.AddLimpsSessions();
        int once = services.Count;
        services.AddLimpsSessions();
        services.AddLimpsSessions(o => o.MaxSessions = 7);

        services.Count.Should().Be(once + 1, "a second call adds only the explicit configuration");
        using ServiceProvider provider = services.AddLogging().BuildServiceProvider();
        provider.GetServices<IHostedService>().Should().HaveCount(2, "the sweeper and the start-up check, once each (the MCP session releaser comes with Limps.Sessions.Mcp)");
        provider.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value.MaxSessions.Should().Be(7);
    }

    [Test]
    public void A_users_own_clock_registry_and_ledger_are_kept()
    {
        var clock = new FakeClock(TestHost.Start);
        var options = new LimpsSessionsOptions();
        var ledger = new InMemoryExpiryLedger(options, clock);
        using var registry = new InMemorySessionRegistry(options, clock, ledger);
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(clock);
        services.AddSingleton<IExpiryLedger>(ledger);
        services.AddSingleton<ISessionRegistry>(registry);

        services.AddLimpsSessions();

        using ServiceProvider provider = services.AddLogging().BuildServiceProvider();
        provider.GetRequiredService<IClock>().Should().BeSameAs(clock);
        provider.GetRequiredService<IExpiryLedger>().Should().BeSameAs(ledger);
        provider.GetRequiredService<ISessionRegistry>().Should().BeSameAs(registry);
    }

    [Test]
    public void Options_bind_from_the_Limps_Sessions_section_of_the_host_configuration()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Limps:Sessions:IdleTimeout"] = "00:00:05",
            ["Limps:Sessions:MaxSessions"] = "12",
            ["Limps:Sessions:UseJsonRpcErrors"] = "true",
        }).Build());

        services.AddLimpsSessions();

        using ServiceProvider provider = services.AddLogging().BuildServiceProvider();
        LimpsSessionsOptions options = provider.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value;
        options.IdleTimeout.Should().Be(TimeSpan.FromSeconds(5));
        options.MaxSessions.Should().Be(12);
        provider.GetRequiredService<IOptions<LimpsSessionsHttpOptions>>().Value.UseJsonRpcErrors.Should().BeTrue();
    }

    [Test]
    public void The_IConfiguration_overload_binds_the_given_section_and_code_overrides_win_in_order()
    {
        IConfiguration section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["IdleTimeout"] = "00:02:00",
            ["RetryAfter"] = "00:00:30",
        }).Build();
        var services = new ServiceCollection();

        services.AddLimpsSessions(section);

        using ServiceProvider provider = services.AddLogging().BuildServiceProvider();
        provider.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value.IdleTimeout.Should().Be(TimeSpan.FromMinutes(2));
        provider.GetRequiredService<IOptions<LimpsSessionsHttpOptions>>().Value.RetryAfter.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task Environment_style_configuration_sets_the_idle_timeout_of_the_sample_host()
    {
        await using TestHost host = await TestHost.StartAsync(configure: b =>
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Limps:Sessions:IdleTimeout"] = "00:00:05" }));
        string id = await host.InitializeAsync();

        host.Clock.Advance(Duration.FromSeconds(5));

        (await host.LookupAsync(id)).Expiry.ExpiredAt.Should().Be(TestHost.Start + Duration.FromSeconds(5));
    }

    [TestCase("IdleTimeout", "-00:00:01")]
    [TestCase("SweepInterval", "00:00:00")]
    [TestCase("MaxSessions", "0")]
    [TestCase("MaxLedgerEntries", "-3")]
    [TestCase("LedgerRetention", "-1.00:00:00")]
    [TestCase("RetryAfter", "00:00:00")]
    public async Task A_bad_option_stops_the_host_at_start_up_with_a_message_naming_the_key(string key, string value)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Limps:Sessions:" + key] = value });
        builder.Services.AddLimpsSessions();
        await using WebApplication app = builder.Build();

        Func<Task> start = () => app.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>())
            .Which.Message.Should().Contain("Limps:Sessions:" + key);
    }

    [Test]
    public async Task WithLimpsSessions_without_AddLimpsSessions_explains_what_is_missing()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        await using WebApplication app = builder.Build();
        app.MapGet("/x", () => "x").WithLimpsSessions();
        await app.StartAsync();

        Func<Task> request = () => app.GetTestClient().GetAsync(new Uri("/x", UriKind.Relative));

        await request.Should().ThrowAsync<InvalidOperationException>().WithMessage("*AddLimpsSessions()*");
    }
}
