using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NodaTime.Testing;

namespace Limps.Sessions.Tests;

public class LimpsSessionsOptionsTests
{
    private static IEnumerable<TestCaseData> InvalidOptions()
    {
        yield return Case("IdleTimeout", o => o.IdleTimeout = TimeSpan.FromTicks(-1), "negative IdleTimeout");
        yield return Case("IdleTimeout", o => o.IdleTimeout = TimeSpan.FromDays(-1), "IdleTimeout of minus one day");
        yield return Case("IdleTimeout", o => o.IdleTimeout = TimeSpan.FromDays(366), "IdleTimeout over a year");
        yield return Case("LedgerRetention", o => o.LedgerRetention = TimeSpan.FromSeconds(-1), "negative LedgerRetention");
        yield return Case("LedgerRetention", o => o.LedgerRetention = TimeSpan.FromDays(366), "LedgerRetention over a year");
        yield return Case("SweepInterval", o => o.SweepInterval = TimeSpan.Zero, "zero SweepInterval");
        yield return Case("SweepInterval", o => o.SweepInterval = TimeSpan.FromSeconds(-5), "negative SweepInterval");
        yield return Case("SweepInterval", o => o.SweepInterval = TimeSpan.FromTicks(9_999), "SweepInterval under a millisecond");
        yield return Case("SweepInterval", o => o.SweepInterval = TimeSpan.FromDays(2), "SweepInterval over a day");
        yield return Case("MaxSessions", o => o.MaxSessions = 0, "zero MaxSessions");
        yield return Case("MaxSessions", o => o.MaxSessions = -1, "negative MaxSessions");
        yield return Case("MaxLedgerEntries", o => o.MaxLedgerEntries = 0, "zero MaxLedgerEntries");
        yield return Case("MaxLedgerEntries", o => o.MaxLedgerEntries = -10, "negative MaxLedgerEntries");
        yield return Case("MaxLifetime", o => o.MaxLifetime = TimeSpan.FromMinutes(-1), "negative MaxLifetime");
        yield return Case("MaxLifetime", o => o.MaxLifetime = TimeSpan.FromDays(366), "MaxLifetime over a year");

        static TestCaseData Case(string key, Action<LimpsSessionsOptions> configure, string name) =>
            new TestCaseData(key, configure).SetName("Validation rejects " + name);
    }

    private static IEnumerable<TestCaseData> ValidOptions()
    {
        yield return Case(_ => { }, "the defaults");
        yield return Case(o => o.IdleTimeout = TimeSpan.Zero, "IdleTimeout zero (disabled)");
        yield return Case(o => o.IdleTimeout = TimeSpan.FromDays(365), "IdleTimeout of a year");
        yield return Case(o => o.LedgerRetention = TimeSpan.Zero, "LedgerRetention zero");
        yield return Case(o => o.SweepInterval = TimeSpan.FromMilliseconds(1), "SweepInterval of a millisecond");
        yield return Case(o => o.SweepInterval = TimeSpan.FromDays(1), "SweepInterval of a day");
        yield return Case(o => o.MaxSessions = 1, "MaxSessions one");
        yield return Case(o => o.MaxLedgerEntries = 1, "MaxLedgerEntries one");
        yield return Case(o => o.MaxLifetime = TimeSpan.FromHours(8), "MaxLifetime of 8 hours");

        static TestCaseData Case(Action<LimpsSessionsOptions> configure, string name) =>
            new TestCaseData(configure).SetName("Validation accepts " + name);
    }

    [Test]
    public void Defaults()
    {
        var options = new LimpsSessionsOptions();

        options.IdleTimeout.Should().Be(TimeSpan.FromMinutes(30));
        options.LedgerRetention.Should().Be(TimeSpan.FromHours(24));
        options.MaxLedgerEntries.Should().Be(100_000);
        options.MaxSessions.Should().Be(10_000);
        options.SweepInterval.Should().Be(TimeSpan.FromMinutes(1));
        options.MaxLifetime.Should().Be(TimeSpan.Zero);
        options.EffectiveSweepInterval.Should().Be(TimeSpan.FromMinutes(1));
        LimpsSessionsOptions.SectionName.Should().Be("Limps:Sessions");
    }

    [TestCaseSource(nameof(InvalidOptions))]
    public void Validation_rejects_and_names_the_key(string key, Action<LimpsSessionsOptions> configure)
    {
        var options = new LimpsSessionsOptions();
        configure(options);

        ValidateOptionsResult result = new LimpsSessionsOptionsValidator().Validate(Options.DefaultName, options);

        result.Failed.Should().BeTrue();
        result.Failures.Should().ContainSingle().Which.Should().Contain("Limps:Sessions:" + key);
        FluentActions.Invoking(() => LimpsSessionsOptionsValidator.ThrowIfInvalid(options))
            .Should().Throw<OptionsValidationException>()
            .Which.Message.Should().Contain("Limps:Sessions:" + key);
    }

    [TestCaseSource(nameof(ValidOptions))]
    public void Validation_accepts(Action<LimpsSessionsOptions> configure)
    {
        var options = new LimpsSessionsOptions();
        configure(options);

        new LimpsSessionsOptionsValidator().Validate(Options.DefaultName, options).Succeeded.Should().BeTrue();
        FluentActions.Invoking(() => LimpsSessionsOptionsValidator.ThrowIfInvalid(options)).Should().NotThrow();
    }

    [Test]
    public void Validation_reports_every_bad_key()
    {
        var options = new LimpsSessionsOptions { IdleTimeout = TimeSpan.FromSeconds(-1), MaxSessions = 0 };

        ValidateOptionsResult result = new LimpsSessionsOptionsValidator().Validate(Options.DefaultName, options);

        result.Failures.Should().HaveCount(2);
        result.FailureMessage.Should().Contain("Limps:Sessions:IdleTimeout").And.Contain("Limps:Sessions:MaxSessions");
    }

    [TestCase("fr-FR")]
    [TestCase("de-DE")]
    [TestCase("ar-SA")]
    [TestCase("")]
    public void Validation_does_not_depend_on_the_current_culture(string cultureName)
    {
        CultureInfo previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo(cultureName);
        try
        {
            var validator = new LimpsSessionsOptionsValidator();
            validator.Validate(Options.DefaultName, new LimpsSessionsOptions()).Succeeded.Should().BeTrue();
            validator.Validate(Options.DefaultName, new LimpsSessionsOptions { SweepInterval = TimeSpan.FromMilliseconds(1) })
                .Succeeded.Should().BeTrue();
            validator.Validate(Options.DefaultName, new LimpsSessionsOptions { SweepInterval = TimeSpan.FromTicks(9_999) })
                .Failed.Should().BeTrue();
            validator.Validate(Options.DefaultName, new LimpsSessionsOptions { IdleTimeout = TimeSpan.FromDays(366) })
                .Failed.Should().BeTrue();
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Test]
    public void ThrowIfInvalid_rejects_null() =>
        FluentActions.Invoking(() => LimpsSessionsOptionsValidator.ThrowIfInvalid(null!))
            .Should().Throw<ArgumentNullException>();

    [TestCase(10, 60, 10)]
    [TestCase(60, 60, 60)]
    [TestCase(300, 60, 60)]
    [TestCase(0, 60, 60)]
    [TestCase(1, 3600, 1)]
    public void EffectiveSweepInterval_is_never_longer_than_an_enabled_idle_timeout(int idleSeconds, int sweepSeconds, int expectedSeconds)
    {
        var options = new LimpsSessionsOptions
        {
            IdleTimeout = TimeSpan.FromSeconds(idleSeconds),
            SweepInterval = TimeSpan.FromSeconds(sweepSeconds),
        };

        options.EffectiveSweepInterval.Should().Be(TimeSpan.FromSeconds(expectedSeconds));
    }

    [Test]
    public void Binds_from_the_Limps_Sessions_configuration_section()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Limps:Sessions:IdleTimeout"] = "00:00:05",
                ["Limps:Sessions:LedgerRetention"] = "02:00:00",
                ["Limps:Sessions:MaxSessions"] = "250",
                ["Limps:Sessions:MaxLedgerEntries"] = "1000",
                ["Limps:Sessions:SweepInterval"] = "00:00:30",
                ["Limps:Sessions:MaxLifetime"] = "08:00:00",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddOptions<LimpsSessionsOptions>().Bind(configuration.GetSection(LimpsSessionsOptions.SectionName));
        services.AddSingleton<IValidateOptions<LimpsSessionsOptions>, LimpsSessionsOptionsValidator>();
        using ServiceProvider provider = services.BuildServiceProvider();

        LimpsSessionsOptions options = provider.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value;

        options.IdleTimeout.Should().Be(TimeSpan.FromSeconds(5));
        options.LedgerRetention.Should().Be(TimeSpan.FromHours(2));
        options.MaxSessions.Should().Be(250);
        options.MaxLedgerEntries.Should().Be(1000);
        options.SweepInterval.Should().Be(TimeSpan.FromSeconds(30));
        options.MaxLifetime.Should().Be(TimeSpan.FromHours(8));
        options.EffectiveSweepInterval.Should().Be(TimeSpan.FromSeconds(5));
    }

    [Test]
    public void Binding_keeps_defaults_for_missing_keys()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Limps:Sessions:IdleTimeout"] = "00:00:05" })
            .Build();
        var services = new ServiceCollection();
        services.AddOptions<LimpsSessionsOptions>().Bind(configuration.GetSection(LimpsSessionsOptions.SectionName));
        using ServiceProvider provider = services.BuildServiceProvider();

        LimpsSessionsOptions options = provider.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value;

        options.IdleTimeout.Should().Be(TimeSpan.FromSeconds(5));
        options.MaxSessions.Should().Be(10_000);
        options.LedgerRetention.Should().Be(TimeSpan.FromHours(24));
    }

    [Test]
    public void A_bad_bound_value_fails_validation_with_its_key()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Limps:Sessions:IdleTimeout"] = "-00:00:05" })
            .Build();
        var services = new ServiceCollection();
        services.AddOptions<LimpsSessionsOptions>().Bind(configuration.GetSection(LimpsSessionsOptions.SectionName));
        services.AddSingleton<IValidateOptions<LimpsSessionsOptions>, LimpsSessionsOptionsValidator>();
        using ServiceProvider provider = services.BuildServiceProvider();

        FluentActions.Invoking(() => provider.GetRequiredService<IOptions<LimpsSessionsOptions>>().Value)
            .Should().Throw<OptionsValidationException>()
            .Which.Message.Should().Contain("Limps:Sessions:IdleTimeout");
    }

    [Test]
    public void Registry_and_ledger_constructors_validate_the_options()
    {
        var clock = new FakeClock(TestTime.Start);
        var bad = new LimpsSessionsOptions { MaxSessions = 0 };
        var good = new LimpsSessionsOptions();
        var ledger = new InMemoryExpiryLedger(good, clock);

        FluentActions.Invoking(() => new InMemorySessionRegistry(bad, clock))
            .Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Limps:Sessions:MaxSessions");
        FluentActions.Invoking(() => new InMemorySessionRegistry(bad, clock, ledger))
            .Should().Throw<OptionsValidationException>();
        FluentActions.Invoking(() => new InMemorySessionRegistry(bad))
            .Should().Throw<OptionsValidationException>();
        FluentActions.Invoking(() => new InMemoryExpiryLedger(new LimpsSessionsOptions { LedgerRetention = TimeSpan.FromHours(-1) }, clock))
            .Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("Limps:Sessions:LedgerRetention");
    }

    [Test]
    public void Registry_and_ledger_constructors_reject_nulls()
    {
        var clock = new FakeClock(TestTime.Start);
        var options = new LimpsSessionsOptions();
        var ledger = new InMemoryExpiryLedger(options, clock);

        FluentActions.Invoking(() => new InMemorySessionRegistry(null!, clock)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new InMemorySessionRegistry(options, null!, ledger)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new InMemorySessionRegistry(options, clock, null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new InMemoryExpiryLedger(null!, clock)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => new InMemoryExpiryLedger(options, null!)).Should().Throw<ArgumentNullException>();
    }

    [Test]
    public async Task Registry_on_the_system_clock_works()
    {
        using var registry = new InMemorySessionRegistry(new LimpsSessionsOptions());

        SessionInfo info = await registry.CreateAsync();

        (await registry.LookupAsync(info.Id)).IsActive.Should().BeTrue();
        registry.Count.Should().Be(1);
    }
}
