using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Limps.Sessions.AspNetCore;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Limps.Sessions.SampleHost.Tools;

/// <summary>
/// A benchmark baseline: the basket tools written by hand over a <see cref="PlainBasketTable"/>, without Limps handles,
/// with the same names, arguments and answers as <see cref="BasketTools"/> for a live basket. The sample host serves
/// these instead when <c>Sample:Handles=Plain</c>, so the load benchmark can compare a tool call that uses a handle with
/// and without Limps. An unknown basket is one generic tool error, as hand-written handles usually answer.
/// </summary>
/// <param name="baskets">The hand-written basket table.</param>
[McpServerToolType]
public sealed class PlainBasketTools(PlainBasketTable baskets)
{
    /// <summary>Creates an empty basket owned by the caller.</summary>
    /// <param name="user">The caller.</param>
    /// <returns>Text naming the basket, and <c>{"basket_id":"bsk_..."}</c>.</returns>
    [McpServerTool(Name = BasketTools.CreateToolName), Description("Creates an empty shopping basket and returns its id (basket_id).")]
    public CallToolResult CreateBasket(ClaimsPrincipal? user = null)
    {
        string id = baskets.Create(SessionOwner.KeyOf(user));
        return BasketTools.Result($"Created basket {id}. Pass it as basket_id to add_item, get_basket and destroy_basket.", new JsonObject
        {
            ["basket_id"] = id,
        });
    }

    /// <summary>Adds an item to a basket.</summary>
    /// <param name="basket_id">The basket's id.</param>
    /// <param name="sku">The item's SKU.</param>
    /// <param name="user">The caller.</param>
    /// <returns>The basket's items after the addition.</returns>
    [McpServerTool(Name = "add_item"), Description("Adds an item (by SKU) to a basket and returns the basket's items.")]
    public CallToolResult AddItem(
        [Description("The basket's id, as create_basket returned it (bsk_...).")] string basket_id,
        [Description("The item's SKU.")] string sku,
        ClaimsPrincipal? user = null) =>
        baskets.TryAdd(basket_id, SessionOwner.KeyOf(user), sku, out Basket basket) ? BasketTools.BasketResult(basket_id, basket) : Unknown(basket_id);

    /// <summary>Returns a basket's items.</summary>
    /// <param name="basket_id">The basket's id.</param>
    /// <param name="user">The caller.</param>
    /// <returns>Text and <c>{"basket_id":"bsk_...","items":[...]}</c>.</returns>
    [McpServerTool(Name = "get_basket"), Description("Returns a basket's items.")]
    public CallToolResult GetBasket(
        [Description("The basket's id, as create_basket returned it (bsk_...).")] string basket_id,
        ClaimsPrincipal? user = null) =>
        baskets.TryGet(basket_id, SessionOwner.KeyOf(user), out Basket basket) ? BasketTools.BasketResult(basket_id, basket) : Unknown(basket_id);

    /// <summary>Destroys a basket.</summary>
    /// <param name="basket_id">The basket's id.</param>
    /// <param name="user">The caller.</param>
    /// <returns>Text confirming the end.</returns>
    [McpServerTool(Name = "destroy_basket"), Description("Destroys a basket and its items.")]
    public CallToolResult DestroyBasket(
        [Description("The basket's id, as create_basket returned it (bsk_...).")] string basket_id,
        ClaimsPrincipal? user = null) =>
        baskets.Remove(basket_id, SessionOwner.KeyOf(user))
            ? BasketTools.Result($"Destroyed basket {basket_id}.", new JsonObject { ["basket_id"] = basket_id })
            : Unknown(basket_id);

    private static CallToolResult Unknown(string basketId) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = $"Invalid or unknown basket {basketId}." }],
    };
}
