using System.Text.Json.Serialization.Metadata;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Limps.Sessions.SampleHost;
using Limps.Sessions.SampleHost.Tools;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using NodaTime;
using NodaTime.Testing;

namespace Limps.Sessions.Mcp.Tests.Handles;

/// <summary>
/// <c>AddLimpsHandles</c> in real hosts: settings from <c>Limps:Handles:&lt;Kind&gt;</c> validated at start-up with the
/// key named, the store resolvable by tool code and replaceable through the factory, the hosted sweep per kind on the
/// fake timer source, and the health check's counts.
/// </summary>
public class HandleRegistrationTests
{
    [TestCase("LedgerRetention", "400.00:00:00", "Limps:Handles:Basket:LedgerRetention")]
    [TestCase("MaxHandles", "0", "Limps:Handles:Basket:MaxHandles")]
    [TestCase("IdleTimeout", "00:00:00", "Limps:Handles:Basket:IdleTimeout")]
    [TestCase("Name", "cart", "Limps:Handles:Basket:Name")]
    public async Task A_bad_setting_stops_start_up_with_a_message_naming_its_key(string setting, string value, string key)
    {
        OptionsValidationException thrown = (await FluentActions.Awaiting(() => BuildAndStartAsync(setting, value))
            .Should().ThrowAsync<OptionsValidationException>()).Which;
        thrown.Message.Should().Contain(key);
    }

    [Test]
    public async Task A_bad_setting_made_in_code_fails_the_start_up_validation_too()
    {
        var services = new ServiceCollection();
        services.AddLimpsHandles<Basket>("basket", o => o.Prefix = "BSK-");
        await using ServiceProvider provider = services.BuildServiceProvider();

        // What the host runs at start-up for options registered with ValidateOnStart.
        FluentActions.Invoking(() => provider.GetRequiredService<IStartupValidator>().Validate())
            .Should().Throw<OptionsValidationException>().WithMessage("*Limps:Handles:Basket:Prefix*");
    }

    [Test]
    public async Task A_value_that_does_not_parse_stops_start_up_naming_its_key()
    {
        InvalidOperationException thrown = (await FluentActions.Awaiting(() => BuildAndStartAsync("IdleTimeout", "a day"))
            .Should().ThrowAsync<InvalidOperationException>()).Which;
        thrown.Message.Should().Contain("Limps:Handles:Basket:IdleTimeout");
    }

    [Test]
    public async Task Tool_code_resolves_one_store_per_kind_with_the_configured_settings()
    {
        await using TestHost host = await BasketToolsEndToEndTests.StartAsync();

        IHandleStore<Basket> store = host.App.Services.GetRequiredService<IHandleStore<Basket>>();
        store.Should().BeOfType<InMemoryHandleStore<Basket>>();
        host.App.Services.GetRequiredKeyedService<IHandleStore<Basket>>("basket").Should().BeSameAs(store);
        store.Kind.Name.Should().Be("basket");
        store.Kind.Prefix.Should().Be("bsk_");
        store.Kind.CreateToolName.Should().Be("create_basket");
        store.Kind.IdleTimeout.Should().Be(TimeSpan.FromMinutes(10)); // from Limps:Handles:Basket:IdleTimeout
        store.Kind.DurabilityPolicy.Should().Be("baskets expire after 10 min idle");
    }

    [Test]
    public void Without_configuration_a_kind_keeps_the_defaults_and_its_code_settings()
    {
        var services = new ServiceCollection();
        services.AddLimpsHandles<Basket>("basket", o => o.Prefix = "bsk_");
        using ServiceProvider provider = services.BuildServiceProvider();

        HandleKindOptions kind = provider.GetRequiredService<IHandleStore<Basket>>().Kind;
        kind.IdleTimeout.Should().Be(TimeSpan.FromHours(24));
        kind.DurabilityPolicy.Should().Be("baskets expire after 24 h idle");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Another_store_plugs_in_through_its_factory_registered_before_or_after(bool before)
    {
        var factory = new RecordingFactory();
        var services = new ServiceCollection();
        if (before)
        {
            services.AddSingleton<IHandleStoreFactory>(factory);
        }

        services.AddLimpsHandles("basket", SampleJson.Default.Basket, o => o.Prefix = "bsk_");
        services.AddLimpsHandles<Draft>("draft", o => o.Prefix = "drf_");
        if (!before)
        {
            services.AddSingleton<IHandleStoreFactory>(factory);
        }

        using ServiceProvider provider = services.BuildServiceProvider();
        provider.GetRequiredService<IHandleStore<Basket>>();
        provider.GetRequiredService<IHandleStore<Draft>>();
        provider.GetRequiredService<IHandleStore<Basket>>();

        factory.Created.Should().Equal(("basket", (object?)SampleJson.Default.Basket), ("draft", null));
    }

    [Test]
    public void A_keyed_store_registered_before_is_kept()
    {
        using var own = new InMemoryHandleStore<Basket>(new HandleKindOptions { Name = "basket", Prefix = "own_" });
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IHandleStore<Basket>>("basket", own);
        services.AddLimpsHandles<Basket>("basket", o => o.Prefix = "bsk_");
        using ServiceProvider provider = services.BuildServiceProvider();

        provider.GetRequiredService<IHandleStore<Basket>>().Should().BeSameAs(own);
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_store_package_replacing_the_unkeyed_store_before_or_after_serves_tools_sweeper_and_health(bool before)
    {
        // What a store package's own registration may do (rather than register an IHandleStoreFactory): replace every
        // IHandleStore<TState> registration with its store.
        using var shared = new InMemoryHandleStore<Basket>(new HandleKindOptions { Name = "basket", Prefix = "shr_" });
        void UseSharedStore(IServiceCollection s)
        {
            s.RemoveAll<IHandleStore<Basket>>();
            s.AddSingleton<IHandleStore<Basket>>(shared);
        }

        var services = new ServiceCollection();
        services.AddLogging();
        if (before)
        {
            UseSharedStore(services);
        }

        services.AddLimpsHandles<Basket>("basket", o => o.Prefix = "bsk_");
        services.AddHealthChecks().AddLimpsHandles();
        if (!before)
        {
            UseSharedStore(services);
        }

        await using ServiceProvider provider = services.BuildServiceProvider();
        provider.GetRequiredService<IHandleStore<Basket>>().Should().BeSameAs(shared);
        if (provider.GetKeyedService<IHandleStore<Basket>>("basket") is { } keyed)
        {
            keyed.Should().BeSameAs(shared);
        }

        await shared.CreateAsync(Basket.Empty, "alice");
        HealthReport report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        report.Entries["limps-handles"].Data["basket.live"].Should().Be(1, "the health check reads the store tools use");
    }

    [Test]
    public void A_kind_has_one_state_type_and_registering_it_again_adds_only_settings()
    {
        var services = new ServiceCollection();
        services.AddLimpsHandles<Basket>("basket", o => o.Prefix = "bsk_");
        services.AddLimpsHandles<Basket>("basket", o => o.CreateToolName = "create_basket");

        FluentActions.Invoking(() => services.AddLimpsHandles<Draft>("basket", o => o.Prefix = "drf_"))
            .Should().Throw<InvalidOperationException>().WithMessage("*'basket'*already registered*");
        services.Count(d => d.ServiceType == typeof(IHostedService)).Should().Be(1);
        using ServiceProvider provider = services.BuildServiceProvider();
        HandleKindOptions kind = provider.GetRequiredService<IHandleStore<Basket>>().Kind;
        (kind.Prefix, kind.CreateToolName).Should().Be(("bsk_", "create_basket"));
    }

    [Test]
    public async Task The_hosted_sweep_ends_idle_baskets_on_the_kinds_sweep_interval()
    {
        await using TestHost host = await TestHost.StartAsync(configure: builder =>
        {
            builder.Configuration["Limps:Handles:Basket:IdleTimeout"] = "00:10:00";
            builder.Configuration["Limps:Handles:Basket:SweepInterval"] = "00:00:30";
        });
        IHandleStore<Basket> store = host.App.Services.GetRequiredService<IHandleStore<Basket>>();
        string idle = await store.CreateAsync(Basket.Empty, "alice");
        host.Clock.Advance(Duration.FromMinutes(6));
        string recent = await store.CreateAsync(Basket.Empty, "alice");
        host.Clock.Advance(Duration.FromMinutes(5));

        // Nothing has swept yet: the idle basket still counts until a use or a sweep ends it.
        (await store.CountAsync()).Should().Be(2);
        host.Time.Advance(TimeSpan.FromSeconds(30));

        (await Eventually.TrueAsync(async () => await store.CountAsync() == 1)).Should().BeTrue();
        (await FluentActions.Awaiting(() => store.UseAsync(idle, "alice").AsTask())
            .Should().ThrowAsync<HandleUnavailableException>()).Which.Reason.Should().Be(ExpiryReason.Timeout);
        (await store.UseAsync(recent, "alice")).Should().Be(Basket.Empty);
    }

    [Test]
    public async Task The_health_check_reports_each_kinds_live_handles_and_degrades_at_capacity()
    {
        await using TestHost host = await TestHost.StartAsync(configure: builder =>
            builder.Configuration["Limps:Handles:Basket:MaxHandles"] = "2");
        IHandleStore<Basket> store = host.App.Services.GetRequiredService<IHandleStore<Basket>>();
        HealthCheckService health = host.App.Services.GetRequiredService<HealthCheckService>();
        await store.CreateAsync(Basket.Empty, "alice");

        HealthReportEntry entry = (await health.CheckHealthAsync()).Entries["limps-handles"];
        entry.Status.Should().Be(HealthStatus.Healthy);
        entry.Data["basket.live"].Should().Be(1);
        entry.Data["basket.max"].Should().Be(2);

        await store.CreateAsync(Basket.Empty, "bob");
        entry = (await health.CheckHealthAsync()).Entries["limps-handles"];
        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().Contain("basket");
    }

    [Test]
    public async Task A_failing_sweep_is_logged_and_the_next_one_runs_on_schedule()
    {
        var clock = new FakeClock(TestHost.Start);
        var failing = new SweepFailingFactory(clock);
        await using TestHost host = await TestHost.StartAsync(clock: clock, configure: builder =>
        {
            builder.Services.AddSingleton<IHandleStoreFactory>(failing);
            builder.Logging.AddFilter("Limps.Sessions", LogLevel.Debug);
        });
        IHandleStore<Basket> store = host.App.Services.GetRequiredService<IHandleStore<Basket>>();
        string idle = await store.CreateAsync(Basket.Empty, "alice");
        host.Clock.Advance(Duration.FromHours(25));

        host.Time.Advance(TimeSpan.FromMinutes(1));
        (await Eventually.TrueAsync(() => Task.FromResult(host.Logs.GetSnapshot().Any(r => r.Id.Name == "HandleSweepFailed"))))
            .Should().BeTrue();
        FakeLogRecord failed = host.Logs.GetSnapshot().First(r => r.Id.Name == "HandleSweepFailed");
        failed.Message.Should().Contain("basket");
        failed.Exception.Should().BeOfType<InvalidOperationException>();

        host.Time.Advance(TimeSpan.FromMinutes(1));
        (await Eventually.TrueAsync(async () => await store.CountAsync() == 0)).Should().BeTrue("the next sweep ran");
        host.App.Lifetime.ApplicationStopping.IsCancellationRequested.Should().BeFalse();
        (await FluentActions.Awaiting(() => store.UseAsync(idle, "alice").AsTask())
            .Should().ThrowAsync<HandleUnavailableException>()).Which.Reason.Should().Be(ExpiryReason.Timeout);
    }

    public sealed record Draft(string Text);

    // A store whose first sweep fails, as a shared store's does when its server is briefly unreachable.
    private sealed class SweepFailingFactory(IClock clock) : IHandleStoreFactory
    {
        public IHandleStore<TState> Create<TState>(HandleKindOptions kind, JsonTypeInfo<TState>? stateTypeInfo) =>
            new FirstSweepFails<TState>(new InMemoryHandleStore<TState>(kind, clock));

        private sealed class FirstSweepFails<TState>(InMemoryHandleStore<TState> inner) : IHandleStore<TState>, IDisposable
        {
            private int _sweeps;

            public HandleKindOptions Kind => inner.Kind;

            public ValueTask<string> CreateAsync(TState state, string? owner = null, CancellationToken cancellationToken = default) =>
                inner.CreateAsync(state, owner, cancellationToken);

            public ValueTask<TState> UseAsync(string? handle, string? caller = null, CancellationToken cancellationToken = default) =>
                inner.UseAsync(handle, caller, cancellationToken);

            public ValueTask<TState> UpdateAsync(string? handle, string? caller, Func<TState, TState> update, CancellationToken cancellationToken = default) =>
                inner.UpdateAsync(handle, caller, update, cancellationToken);

            public ValueTask DestroyAsync(string? handle, string? caller = null, CancellationToken cancellationToken = default) =>
                inner.DestroyAsync(handle, caller, cancellationToken);

            public ValueTask<bool> EndAsync(string? handle, ExpiryReason reason, CancellationToken cancellationToken = default) =>
                inner.EndAsync(handle, reason, cancellationToken);

            public ValueTask<IReadOnlyList<HandleInfo>> ListAsync(string? caller, CancellationToken cancellationToken = default) =>
                inner.ListAsync(caller, cancellationToken);

            public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) =>
                Interlocked.Increment(ref _sweeps) == 1
                    ? throw new InvalidOperationException("The store is unreachable.")
                    : inner.SweepAsync(cancellationToken);

            public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

            public void Dispose() => inner.Dispose();
        }
    }

    // The sample host builds create_basket's description from the kind's settings while mapping the endpoint, so a bad
    // setting may stop the host while it is built rather than when it starts: either way it never serves.
    private static async Task BuildAndStartAsync(string setting, string value)
    {
        WebApplication app = SampleHostApp.Create([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Configuration[$"Limps:Handles:Basket:{setting}"] = value;
        });
        await using (app)
        {
            await app.StartAsync();
            await app.StopAsync();
        }
    }

    private sealed class RecordingFactory : IHandleStoreFactory
    {
        public List<(string Kind, object? TypeInfo)> Created { get; } = [];

        public IHandleStore<TState> Create<TState>(HandleKindOptions kind, JsonTypeInfo<TState>? stateTypeInfo)
        {
            Created.Add((kind.Name, stateTypeInfo));
            return new InMemoryHandleStore<TState>(kind);
        }
    }
}
