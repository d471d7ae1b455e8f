using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Limps.Sessions.Tests.Handles;

/// <summary>A kind's settings: defaults, validation that names the configuration key, binding, the durability policy.</summary>
public class HandleKindOptionsTests
{
    private static HandleKindOptions Baskets() => new() { Name = "basket", Prefix = "bsk_", CreateToolName = "create_basket" };

    private static OptionsValidationException Invalid(Action<HandleKindOptions> change)
    {
        HandleKindOptions options = Baskets();
        change(options);
        return FluentActions.Invoking(() => new InMemoryHandleStore<string>(options))
            .Should().Throw<OptionsValidationException>().Which;
    }

    [Test]
    public void Defaults_follow_the_design()
    {
        var options = new HandleKindOptions();

        options.IdleTimeout.Should().Be(TimeSpan.FromHours(24));
        options.MaxLifetime.Should().Be(TimeSpan.Zero);
        options.LedgerRetention.Should().Be(TimeSpan.FromHours(24));
        options.MaxLedgerEntries.Should().Be(100_000);
        options.MaxHandles.Should().Be(100_000);
        options.MaxHandlesPerOwner.Should().Be(1_000);
        options.SweepInterval.Should().Be(TimeSpan.FromMinutes(1));
        HandleKindOptions.SectionPrefix.Should().Be("Limps:Handles");
        Baskets().SectionName.Should().Be("Limps:Handles:Basket");
    }

    [TestCase("IdleTimeout")]
    [TestCase("MaxLifetime")]
    [TestCase("LedgerRetention")]
    public void A_negative_or_too_long_span_names_its_key(string key)
    {
        Action<HandleKindOptions, TimeSpan> set = key switch
        {
            "IdleTimeout" => (o, v) => o.IdleTimeout = v,
            "MaxLifetime" => (o, v) => o.MaxLifetime = v,
            _ => (o, v) => o.LedgerRetention = v,
        };

        Invalid(o => set(o, TimeSpan.FromSeconds(-1))).Message.Should().Contain($"Limps:Handles:Basket:{key} must be between");
        Invalid(o => set(o, TimeSpan.FromDays(366))).Message.Should().Contain($"Limps:Handles:Basket:{key} must be between");
    }

    [TestCase("MaxHandles")]
    [TestCase("MaxHandlesPerOwner")]
    [TestCase("MaxLedgerEntries")]
    public void A_count_out_of_range_names_its_key(string key)
    {
        Action<HandleKindOptions, int> set = key switch
        {
            "MaxHandles" => (o, v) => o.MaxHandles = v,
            "MaxHandlesPerOwner" => (o, v) => o.MaxHandlesPerOwner = v,
            _ => (o, v) => o.MaxLedgerEntries = v,
        };

        Invalid(o => set(o, 0)).Message.Should().Contain($"Limps:Handles:Basket:{key} must be between 1 and 100000000");
        Invalid(o => set(o, 100_000_001)).Message.Should().Contain($"Limps:Handles:Basket:{key}");
    }

    [TestCase("")]
    [TestCase("Basket")]
    [TestCase("1basket")]
    [TestCase("bas ket")]
    [TestCase("basket-s")]
    [TestCase("a23456789012345678901234567890123")]
    public void A_bad_name_is_refused(string name) =>
        Invalid(o => o.Name = name).Message.Should().Contain(":Name must be 1 to 32 characters");

    [TestCase("")]
    [TestCase("BSK_")]
    [TestCase("bsk-")]
    [TestCase("b k_")]
    [TestCase("a2345678901234567")]
    public void A_bad_prefix_is_refused(string prefix) =>
        Invalid(o => o.Prefix = prefix).Message.Should().Contain("Limps:Handles:Basket:Prefix must be 1 to 16 characters");

    [Test]
    public void A_kind_without_any_bound_on_a_handles_life_is_refused() =>
        Invalid(o => o.IdleTimeout = TimeSpan.Zero).Message.Should().Contain(
            "Limps:Handles:Basket:IdleTimeout may be 00:00:00 only when Limps:Handles:Basket:MaxLifetime is set");

    [Test]
    public void Sweep_interval_and_tool_name_are_checked()
    {
        Invalid(o => o.SweepInterval = TimeSpan.Zero).Message.Should().Contain("Limps:Handles:Basket:SweepInterval");
        Invalid(o => o.CreateToolName = "create basket").Message.Should().Contain("Limps:Handles:Basket:CreateToolName");
        Invalid(o => o.PluralName = " ").Message.Should().Contain("Limps:Handles:Basket:PluralName");
    }

    [Test]
    public void Every_bad_value_is_reported_at_once()
    {
        OptionsValidationException error = Invalid(o =>
        {
            o.Prefix = "BAD";
            o.MaxHandles = 0;
        });

        error.Failures.Should().HaveCount(2);
    }

    [Test]
    public void A_kind_binds_from_its_configuration_section()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Limps:Handles:Basket:Name"] = "basket",
                ["Limps:Handles:Basket:Prefix"] = "bsk_",
                ["Limps:Handles:Basket:IdleTimeout"] = "00:30:00",
                ["Limps:Handles:Basket:MaxLifetime"] = "7.00:00:00",
                ["Limps:Handles:Basket:MaxHandlesPerOwner"] = "5",
                ["Limps:Handles:Basket:CreateToolName"] = "create_basket",
            })
            .Build();
        var options = new HandleKindOptions();

        configuration.GetSection("Limps:Handles:Basket").Bind(options);

        options.SectionName.Should().Be("Limps:Handles:Basket");
        options.IdleTimeout.Should().Be(TimeSpan.FromMinutes(30));
        options.MaxHandlesPerOwner.Should().Be(5);
        options.DurabilityPolicy.Should().Be("baskets expire after 30 min idle or 7 d after creation, whichever comes first");
        using var store = new InMemoryHandleStore<string>(options);
        store.Kind.CreateToolName.Should().Be("create_basket");
    }

    [TestCase(24 * 60, 0, null, "baskets expire after 24 h idle")]
    [TestCase(90, 0, null, "baskets expire after 1 h 30 min idle")]
    [TestCase(24 * 60, 7 * 24 * 60, null, "baskets expire after 24 h idle or 7 d after creation, whichever comes first")]
    [TestCase(0, 36 * 60, null, "baskets expire 36 h after creation")]
    [TestCase(30, 0, "carts", "carts expire after 30 min idle")]
    [TestCase(3 * 24 * 60, 0, null, "baskets expire after 3 d idle")]
    public void The_durability_policy_is_one_line_generated_from_the_options(int idleMinutes, int lifetimeMinutes, string? plural, string expected)
    {
        HandleKindOptions options = Baskets();
        options.IdleTimeout = TimeSpan.FromMinutes(idleMinutes);
        options.MaxLifetime = TimeSpan.FromMinutes(lifetimeMinutes);
        options.PluralName = plural;

        options.DurabilityPolicy.Should().Be(expected);
    }

    [Test]
    public void Short_spans_read_naturally() =>
        new HandleKindOptions { Name = "draft", Prefix = "d_", IdleTimeout = TimeSpan.FromMilliseconds(1500) }
            .DurabilityPolicy.Should().Be("drafts expire after 1 s 500 ms idle");

    [Test]
    public void The_store_keeps_a_copy_of_the_options()
    {
        HandleKindOptions options = Baskets();
        using var store = new InMemoryHandleStore<string>(options);

        options.Name = "changed";
        store.Kind.Name.Should().Be("basket");
        store.Kind.Name = "changed too";
        store.Kind.Name.Should().Be("basket");
    }
}
