using System.Text.RegularExpressions;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Limps.Sessions.SampleHost.Tools;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Protocol;
using NodaTime;

namespace Limps.Sessions.Mcp.Tests.Handles;

/// <summary>
/// Acceptance of design §8 with the official MCP C# SDK client against the sample host in the dual-era mode
/// (<c>StatefulForInitializeClients</c>): every test runs once negotiating 2026-07-28 (no session at all) and once
/// over a 2025-11-25 session. Baskets idle out after 10 minutes here; sessions after 2 hours, so a session never ends
/// under a basket test. Time moves only on the fake clock.
/// </summary>
[TestFixture(BasketClient.Sessionless)]
[TestFixture(BasketClient.Session)]
public partial class BasketToolsEndToEndTests(string era)
{
    private const string Hint = " Call create_basket to start a new one.";
    private const string Unknown = " is not known. It may be mistyped, or it ended too long ago to remember.";

    [Test]
    public async Task A_basket_lives_in_the_era_and_its_items_come_back_as_structured_content()
    {
        await using TestHost host = await StartAsync();
        await using BasketClient alice = await BasketClient.ConnectAsync(host, era, "alice");
        if (era == BasketClient.Session)
        {
            alice.Client.SessionId.Should().NotBeNullOrEmpty();
        }
        else
        {
            alice.Client.SessionId.Should().BeNull("a 2026-07-28 client is served without a session");
            alice.Client.NegotiatedProtocolVersion.Should().Be(BasketClient.Sessionless);
        }

        CallToolResult created = await alice.CreateAsync();
        created.IsError.Should().NotBe(true);
        string id = created.StructuredContent!.Value.GetProperty("basket_id").GetString()!;
        HandlePattern().IsMatch(id).Should().BeTrue(id);
        BasketClient.StructuredOf(created).Should().Be($$"""{"basket_id":"{{id}}"}""");
        BasketClient.TextOf(created).Should().Contain(id);

        await alice.AddItemAsync(id, "sku-1");
        CallToolResult added = await alice.AddItemAsync(id, "sku-2");
        BasketClient.StructuredOf(added).Should().Be($$"""{"basket_id":"{{id}}","items":["sku-1","sku-2"]}""");

        CallToolResult got = await alice.GetAsync(id);
        got.IsError.Should().NotBe(true);
        BasketClient.StructuredOf(got).Should().Be($$"""{"basket_id":"{{id}}","items":["sku-1","sku-2"]}""");
        BasketClient.TextOf(got).Should().Be($"Basket {id} holds 2 item(s): sku-1, sku-2.");

        CallToolResult listed = await alice.ListAsync();
        listed.StructuredContent!.Value.GetProperty("baskets").EnumerateArray()
            .Select(b => b.GetProperty("basket_id").GetString()).Should().Equal(id);
    }

    [Test]
    public async Task An_idle_basket_answers_the_section_8_expired_result_and_stays_expired()
    {
        await using TestHost host = await StartAsync();
        await using BasketClient alice = await BasketClient.ConnectAsync(host, era, "alice");
        string id = await alice.CreateBasketAsync();
        await alice.AddItemAsync(id, "sku-1");

        host.Clock.Advance(Duration.FromMinutes(10) + Duration.FromSeconds(1));

        CallToolResult expired = await alice.GetAsync(id);
        expired.IsError.Should().BeTrue();
        BasketClient.TextOf(expired).Should().Be(
            $"basket {id} has expired (reason: timeout, at 2026-02-11T10:10:00.000Z).{Hint}");
        BasketClient.StructuredOf(expired).Should().Be(
            $$"""{"code":"HANDLE_EXPIRED","kind":"basket","handle":"{{id}}","reason":"timeout","expiredAt":"2026-02-11T10:10:00.000Z"}""");

        // An update is answered the same, and creating a new basket works.
        BasketClient.StructuredOf(await alice.AddItemAsync(id, "sku-2")).Should().Contain("\"HANDLE_EXPIRED\"");
        string fresh = await alice.CreateBasketAsync();
        BasketClient.ItemsOf(await alice.GetAsync(fresh)).Should().BeEmpty();
    }

    [Test]
    public async Task Another_users_basket_answers_exactly_as_an_unknown_one_live_or_ended_and_is_left_untouched()
    {
        await using TestHost host = await StartAsync();
        await using BasketClient alice = await BasketClient.ConnectAsync(host, era, "alice");
        await using BasketClient bob = await BasketClient.ConnectAsync(host, era, "bob");
        string id = await alice.CreateBasketAsync();
        await alice.AddItemAsync(id, "sku-1");
        string neverCreated = "bsk_" + new string('A', 22);

        CallToolResult foreign = await bob.GetAsync(id);
        CallToolResult unknown = await bob.GetAsync(neverCreated);
        foreign.IsError.Should().BeTrue();
        BasketClient.TextOf(foreign).Should().Be($"basket {id}{Unknown}{Hint}");
        BasketClient.StructuredOf(foreign).Should().Be($$"""{"code":"HANDLE_NOT_FOUND","kind":"basket","handle":"{{id}}"}""");
        BasketClient.TextOf(unknown).Should().Be(BasketClient.TextOf(foreign).Replace(id, neverCreated, StringComparison.Ordinal));

        // Bob's attempts changed nothing: no item, no destroy, and alice's idle clock did not restart.
        (await bob.AddItemAsync(id, "bob-was-here")).IsError.Should().BeTrue();
        (await bob.DestroyAsync(id)).IsError.Should().BeTrue();
        BasketClient.StructuredOf(await bob.ListAsync()).Should().Be("""{"baskets":[]}""");
        host.Clock.Advance(Duration.FromMinutes(5));
        (await bob.GetAsync(id)).IsError.Should().BeTrue();
        host.Clock.Advance(Duration.FromMinutes(5) + Duration.FromSeconds(1));

        // Ended: alice learns why and when; bob still cannot tell it from an unknown basket.
        BasketClient.TextOf(await alice.GetAsync(id)).Should().Be(
            $"basket {id} has expired (reason: timeout, at 2026-02-11T10:10:00.000Z).{Hint}");
        CallToolResult foreignEnded = await bob.GetAsync(id);
        BasketClient.TextOf(foreignEnded).Should().Be($"basket {id}{Unknown}{Hint}");
        BasketClient.StructuredOf(foreignEnded).Should().Be($$"""{"code":"HANDLE_NOT_FOUND","kind":"basket","handle":"{{id}}"}""");
    }

    [Test]
    public async Task Destroy_then_use_answers_expired_with_reason_deleted()
    {
        await using TestHost host = await StartAsync();
        await using BasketClient alice = await BasketClient.ConnectAsync(host, era, "alice");
        string id = await alice.CreateBasketAsync();
        await alice.AddItemAsync(id, "sku-1");
        host.Clock.Advance(Duration.FromMinutes(3));

        CallToolResult destroyed = await alice.DestroyAsync(id);
        destroyed.IsError.Should().NotBe(true);
        BasketClient.TextOf(destroyed).Should().Be($"Destroyed basket {id}.");

        CallToolResult used = await alice.GetAsync(id);
        used.IsError.Should().BeTrue();
        BasketClient.TextOf(used).Should().Be($"basket {id} has expired (reason: deleted, at 2026-02-11T10:03:00.000Z).{Hint}");
        BasketClient.StructuredOf(used).Should().Be(
            $$"""{"code":"HANDLE_EXPIRED","kind":"basket","handle":"{{id}}","reason":"deleted","expiredAt":"2026-02-11T10:03:00.000Z"}""");
        BasketClient.StructuredOf(await alice.DestroyAsync(id)).Should().Contain("\"reason\":\"deleted\"");
        BasketClient.StructuredOf(await alice.ListAsync()).Should().Be("""{"baskets":[]}""");
    }

    [TestCase("nope")]
    [TestCase("bsk_tooShort")]
    [TestCase("crt_AAAAAAAAAAAAAAAAAAAAAA")] // another kind's prefix, right length
    [TestCase("bsk_AAAAAAAAAAAAAAAAAAAAA$")] // a character outside base64url
    [TestCase("bsk_AAAAAAAAAAAAAAAAAAAAAB")] // not the canonical spelling of 128 bits
    [TestCase("")]
    public async Task Malformed_or_wrongly_prefixed_handles_answer_HANDLE_INVALID_without_touching_the_store(string handle)
    {
        await using TestHost host = await StartAsync();
        await using BasketClient alice = await BasketClient.ConnectAsync(host, era, "alice");
        string live = await alice.CreateBasketAsync();
        IHandleStore<Basket> store = host.App.Services.GetRequiredService<IHandleStore<Basket>>();

        CallToolResult result = await alice.GetAsync(handle);

        result.IsError.Should().BeTrue();
        string shown = handle.Length == 0 ? "\"\"" : handle;
        BasketClient.TextOf(result).Should().Be($"basket {shown}{Unknown}{Hint}");
        BasketClient.StructuredOf(result).Should().Be($$"""{"code":"HANDLE_INVALID","kind":"basket","handle":"{{handle}}"}""");
        (await store.CountAsync()).Should().Be(1);
        (await alice.GetAsync(live)).IsError.Should().NotBe(true);
    }

    [Test]
    public async Task An_overlong_handle_is_echoed_cut_to_128_characters()
    {
        await using TestHost host = await StartAsync();
        await using BasketClient alice = await BasketClient.ConnectAsync(host, era);
        string handle = "bsk_" + new string('x', 4000);

        CallToolResult result = await alice.GetAsync(handle);

        string echoed = handle[..128] + "...";
        BasketClient.TextOf(result).Should().Be($"basket {echoed}{Unknown}{Hint}");
        BasketClient.StructuredOf(result).Should().Be($$"""{"code":"HANDLE_INVALID","kind":"basket","handle":"{{echoed}}"}""");
    }

    [Test]
    public async Task Concurrent_add_item_calls_on_one_basket_lose_nothing()
    {
        const int Calls = 24;
        await using TestHost host = await StartAsync();
        await using BasketClient alice = await BasketClient.ConnectAsync(host, era, "alice");
        string id = await alice.CreateBasketAsync();

        CallToolResult[] results = await Task.WhenAll(
            Enumerable.Range(0, Calls).Select(i => Task.Run(() => alice.AddItemAsync(id, $"sku-{i}"))));

        results.Should().OnlyContain(r => r.IsError != true);
        string[] items = BasketClient.ItemsOf(await alice.GetAsync(id));
        items.Should().HaveCount(Calls).And.BeEquivalentTo(Enumerable.Range(0, Calls).Select(i => $"sku-{i}"));

        // Each answer saw the basket as its own update left it: the item counts are 1..N, each once.
        results.Select(r => BasketClient.ItemsOf(r).Length).Should().BeEquivalentTo(Enumerable.Range(1, Calls));
    }

    [Test]
    public async Task An_anonymous_callers_basket_works_as_a_bearer_handle_and_is_not_listed()
    {
        await using TestHost host = await StartAsync();
        await using BasketClient anonymous = await BasketClient.ConnectAsync(host, era);
        await using BasketClient alice = await BasketClient.ConnectAsync(host, era, "alice");
        string id = await anonymous.CreateBasketAsync();

        BasketClient.ItemsOf(await anonymous.AddItemAsync(id, "sku-1")).Should().Equal("sku-1");
        BasketClient.StructuredOf(await anonymous.ListAsync()).Should().Be("""{"baskets":[]}""");

        // A signed-in user is not its owner.
        BasketClient.StructuredOf(await alice.GetAsync(id)).Should().Contain("\"HANDLE_NOT_FOUND\"");
    }

    [Test]
    public async Task Create_basket_describes_the_configured_durability_policy()
    {
        await using TestHost host = await StartAsync();
        await using BasketClient alice = await BasketClient.ConnectAsync(host, era);

        var tools = await alice.Client.ListToolsAsync();

        tools.Select(t => t.Name).Should().Contain(["create_basket", "add_item", "get_basket", "list_baskets", "destroy_basket", "echo"]);
        tools.Single(t => t.Name == "create_basket").Description.Should().Contain("Durability: baskets expire after 10 min idle;");
    }

    [Test]
    public async Task A_full_basket_quota_is_an_error_result_the_model_can_act_on()
    {
        await using TestHost host = await TestHost.StartAsync(options: o => o.IdleTimeout = TimeSpan.FromHours(2), configure: builder =>
            builder.Configuration["Limps:Handles:Basket:MaxHandlesPerOwner"] = "1");
        await using BasketClient alice = await BasketClient.ConnectAsync(host, era, "alice");
        string first = await alice.CreateBasketAsync();

        CallToolResult refused = await alice.CreateAsync();

        refused.IsError.Should().BeTrue();
        BasketClient.TextOf(refused).Should().Be(
            "The owner already holds 1 live basket handles, the most allowed; end one before creating another.");
        await alice.DestroyAsync(first);
        (await alice.CreateAsync()).IsError.Should().NotBe(true);
    }

    internal static Task<TestHost> StartAsync() =>
        TestHost.StartAsync(options: o => o.IdleTimeout = TimeSpan.FromHours(2), configure: builder =>
            builder.Configuration["Limps:Handles:Basket:IdleTimeout"] = "00:10:00");

    [GeneratedRegex("^bsk_[A-Za-z0-9_-]{22}$")]
    private static partial Regex HandlePattern();
}
