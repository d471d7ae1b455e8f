using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Limps.Sessions.AspNetCore;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using NodaTime;

namespace Limps.Sessions.SampleHost.Tools;

/// <summary>
/// The basket tools of design §8: state kept behind an explicit handle (<c>bsk_...</c>) that <c>create_basket</c>
/// returns and the other tools take as <c>basket_id</c>. They work the same over a 2025-11-25 session and a 2026-07-28
/// stateless request. None of them formats an error: an expired, unknown, foreign or malformed basket id makes the
/// store throw, and the Limps call-tool filter answers with the §8 tool result. The owner is the authenticated caller
/// (<see cref="SessionOwner.KeyOf"/>); an anonymous caller's baskets are bearer handles that only anonymous callers can
/// use, and are never listed.
/// </summary>
/// <param name="baskets">The basket store (in memory unless a shared store is configured).</param>
[McpServerToolType]
public sealed class BasketTools(IHandleStore<Basket> baskets)
{
    /// <summary>The handle kind's name.</summary>
    public const string Kind = "basket";

    /// <summary>The name of the tool that creates a basket (error answers point to it).</summary>
    public const string CreateToolName = "create_basket";

    /// <summary>
    /// Builds <c>create_basket</c>, whose description carries the kind's durability policy as SEP-2567 asks (for
    /// example "baskets expire after 24 h idle"), generated from the configured settings.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <returns>The tool.</returns>
    public static McpServerTool CreateBasketTool(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        HandleKindOptions kind = services.GetRequiredService<IOptionsMonitor<HandleKindOptions>>().Get(Kind);
        MethodInfo method = typeof(BasketTools).GetMethod(nameof(CreateBasketAsync))!;
        return McpServerTool.Create(
            method,
            request => ActivatorUtilities.CreateInstance<BasketTools>(request.Services ?? services),
            new McpServerToolCreateOptions
            {
                Name = CreateToolName,
                Description = "Creates an empty shopping basket and returns its id (basket_id), which add_item, get_basket "
                    + $"and destroy_basket take. Durability: {kind.DurabilityPolicy}; an expired basket is gone, create a new one.",
                Services = services,
            });
    }

    /// <summary>Creates an empty basket owned by the caller.</summary>
    /// <param name="user">The caller.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Text naming the basket, and <c>{"basket_id":"bsk_..."}</c>.</returns>
    public async Task<CallToolResult> CreateBasketAsync(ClaimsPrincipal? user = null, CancellationToken cancellationToken = default)
    {
        string id = await baskets.CreateAsync(Basket.Empty, SessionOwner.KeyOf(user), cancellationToken);
        return Result($"Created basket {id}. Pass it as basket_id to add_item, get_basket and destroy_basket.", new JsonObject
        {
            ["basket_id"] = id,
        });
    }

    /// <summary>Adds an item to a basket.</summary>
    /// <param name="basket_id">The basket's id.</param>
    /// <param name="sku">The item's SKU.</param>
    /// <param name="user">The caller.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The basket's items after the addition.</returns>
    [McpServerTool(Name = "add_item"), Description("Adds an item (by SKU) to a basket and returns the basket's items.")]
    public async Task<CallToolResult> AddItemAsync(
        [Description("The basket's id, as create_basket returned it (bsk_...).")] string basket_id,
        [Description("The item's SKU.")] string sku,
        ClaimsPrincipal? user = null,
        CancellationToken cancellationToken = default)
    {
        Basket basket = await baskets.UpdateAsync(basket_id, SessionOwner.KeyOf(user), b => b.With(sku), cancellationToken);
        return BasketResult(basket_id, basket);
    }

    /// <summary>Returns a basket's items.</summary>
    /// <param name="basket_id">The basket's id.</param>
    /// <param name="user">The caller.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Text and <c>{"basket_id":"bsk_...","items":[...]}</c>.</returns>
    [McpServerTool(Name = "get_basket"), Description("Returns a basket's items.")]
    public async Task<CallToolResult> GetBasketAsync(
        [Description("The basket's id, as create_basket returned it (bsk_...).")] string basket_id,
        ClaimsPrincipal? user = null,
        CancellationToken cancellationToken = default)
    {
        Basket basket = await baskets.UseAsync(basket_id, SessionOwner.KeyOf(user), cancellationToken);
        return BasketResult(basket_id, basket);
    }

    /// <summary>Lists the caller's live baskets.</summary>
    /// <param name="user">The caller.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Text and <c>{"baskets":[{"basket_id":...,"created_at":...,"expires_at":...}]}</c>.</returns>
    [McpServerTool(Name = "list_baskets"), Description("Lists your live baskets, oldest first (baskets made without signing in are not listed).")]
    public async Task<CallToolResult> ListBasketsAsync(ClaimsPrincipal? user = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<HandleInfo> live = await baskets.ListAsync(SessionOwner.KeyOf(user), cancellationToken);
        var list = new JsonArray();
        foreach (HandleInfo info in live)
        {
            list.Add(new JsonObject
            {
                ["basket_id"] = info.Handle,
                ["created_at"] = Format(info.CreatedAt),
                ["expires_at"] = info.ExpiresAt is { } at ? Format(at) : null,
            });
        }

        string text = live.Count == 0
            ? "You have no live baskets."
            : $"You have {live.Count} live basket(s): {string.Join(", ", live.Select(b => b.Handle))}.";
        return Result(text, new JsonObject { ["baskets"] = list });
    }

    /// <summary>Destroys a basket; a later use is answered "expired (reason: deleted)".</summary>
    /// <param name="basket_id">The basket's id.</param>
    /// <param name="user">The caller.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Text confirming the end.</returns>
    [McpServerTool(Name = "destroy_basket"), Description("Destroys a basket and its items.")]
    public async Task<CallToolResult> DestroyBasketAsync(
        [Description("The basket's id, as create_basket returned it (bsk_...).")] string basket_id,
        ClaimsPrincipal? user = null,
        CancellationToken cancellationToken = default)
    {
        await baskets.DestroyAsync(basket_id, SessionOwner.KeyOf(user), cancellationToken);
        return Result($"Destroyed basket {basket_id}.", new JsonObject { ["basket_id"] = basket_id });
    }

    /// <summary>The answer of <c>add_item</c> and <c>get_basket</c>: text and <c>{"basket_id":...,"items":[...]}</c>.</summary>
    /// <param name="basketId">The basket's id.</param>
    /// <param name="basket">The basket.</param>
    /// <returns>The tool result (shared with <see cref="PlainBasketTools"/>, so both answer the same bytes).</returns>
    internal static CallToolResult BasketResult(string basketId, Basket basket)
    {
        string text = basket.Items.Count == 0
            ? $"Basket {basketId} is empty."
            : $"Basket {basketId} holds {basket.Items.Count} item(s): {string.Join(", ", basket.Items)}.";
        var items = new JsonArray();
        foreach (string sku in basket.Items)
        {
            items.Add(sku);
        }

        return Result(text, new JsonObject { ["basket_id"] = basketId, ["items"] = items });
    }

    /// <summary>A tool result with text for the model and structured content for programs.</summary>
    /// <param name="text">The text.</param>
    /// <param name="structured">The structured content.</param>
    /// <returns>The tool result.</returns>
    internal static CallToolResult Result(string text, JsonObject structured) => new()
    {
        Content = [new TextContentBlock { Text = text }],
        StructuredContent = JsonElement.Parse(structured.ToJsonString()),
    };

    private static string Format(Instant instant) =>
        instant.ToString("uuuu-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
