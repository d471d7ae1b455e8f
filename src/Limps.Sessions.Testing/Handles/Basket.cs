namespace Limps.Sessions.Testing;

/// <summary>The state the contract suite keeps per handle: a basket of items, immutable, so updates return a new one; equal by its items.</summary>
/// <remarks>A store that keeps states as JSON needs its contract, for example from a source-generated context with <c>[JsonSerializable(typeof(Basket))]</c>.</remarks>
/// <param name="Items">The items, in the order they were added.</param>
public sealed record Basket(IReadOnlyList<string> Items)
{
    /// <summary>Gets a basket without items.</summary>
    public static Basket Empty { get; } = new(Array.Empty<string>());

    /// <summary>A basket of the given items.</summary>
    /// <param name="items">The items.</param>
    /// <returns>The basket.</returns>
    public static Basket Of(params string[] items) => new(items);

    /// <summary>A new basket with one more item.</summary>
    /// <param name="item">The item to add.</param>
    /// <returns>The new basket; this one is unchanged.</returns>
    public Basket Add(string item) => new([.. Items, item]);

    /// <summary>Whether another basket holds the same items in the same order.</summary>
    /// <param name="other">The other basket.</param>
    /// <returns>Whether they are equal.</returns>
    // By content: a store that keeps states as JSON gives back an equal basket, not the same list.
    public bool Equals(Basket? other) => other is not null && Items.SequenceEqual(other.Items);

    /// <inheritdoc />
    public override int GetHashCode() => Items.Count;
}
