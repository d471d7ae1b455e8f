using System.Collections.Immutable;

namespace Limps.Sessions.SampleHost.Tools;

/// <summary>
/// The state behind a basket handle: the SKUs added so far, in order. Immutable, so an update makes a new basket from
/// the current one and the store swaps it in atomically (two concurrent <c>add_item</c> calls lose nothing).
/// </summary>
/// <param name="Items">The SKUs, in the order they were added.</param>
public sealed record Basket(ImmutableList<string> Items)
{
    /// <summary>Gets an empty basket.</summary>
    public static Basket Empty { get; } = new(ImmutableList<string>.Empty);

    /// <summary>Returns this basket with one more item.</summary>
    /// <param name="sku">The item's SKU.</param>
    /// <returns>A new basket.</returns>
    public Basket With(string sku) => new(Items.Add(sku));
}
