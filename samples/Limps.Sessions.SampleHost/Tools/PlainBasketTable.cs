using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Limps.Sessions.SampleHost.Tools;

/// <summary>
/// A benchmark baseline, not an example to follow: baskets kept by hand in a <see cref="ConcurrentDictionary{TKey,TValue}"/>,
/// the way a server author writes handles without Limps. Random ids and an owner check, but no idle timeout or lifetime
/// (baskets live until destroyed or the process ends), no cap, no "expired" answers, nothing shared between replicas.
/// Used by <see cref="PlainBasketTools"/> when <c>Sample:Handles=Plain</c>.
/// </summary>
public sealed class PlainBasketTable
{
    private readonly ConcurrentDictionary<string, (string? Owner, Basket Basket)> _baskets = new(StringComparer.Ordinal);

    /// <summary>Creates an empty basket for an owner.</summary>
    /// <param name="owner">The owner key, or <see langword="null"/> for an anonymous caller.</param>
    /// <returns>The new basket's id: <c>bsk_</c> and 128 random bits in base64url, as the Limps baskets have.</returns>
    public string Create(string? owner)
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        string id = "bsk_" + Base64Url.EncodeToString(bytes);
        _baskets[id] = (owner, Basket.Empty);
        return id;
    }

    /// <summary>Finds a basket of an owner.</summary>
    /// <param name="id">The basket's id as the caller sent it.</param>
    /// <param name="owner">The caller's owner key.</param>
    /// <param name="basket">The basket, when the caller owns one with this id.</param>
    /// <returns>Whether there is such a basket.</returns>
    public bool TryGet(string id, string? owner, out Basket basket)
    {
        if (_baskets.TryGetValue(id, out (string? Owner, Basket Basket) entry) && string.Equals(entry.Owner, owner, StringComparison.Ordinal))
        {
            basket = entry.Basket;
            return true;
        }

        basket = Basket.Empty;
        return false;
    }

    /// <summary>Adds an item to a basket of an owner, retrying on a concurrent change so no addition is lost.</summary>
    /// <param name="id">The basket's id.</param>
    /// <param name="owner">The caller's owner key.</param>
    /// <param name="sku">The item's SKU.</param>
    /// <param name="basket">The basket after the addition.</param>
    /// <returns>Whether the caller owns a basket with this id.</returns>
    public bool TryAdd(string id, string? owner, string sku, out Basket basket)
    {
        while (TryGet(id, owner, out Basket current))
        {
            basket = current.With(sku);
            if (_baskets.TryUpdate(id, (owner, basket), (owner, current)))
            {
                return true;
            }
        }

        basket = Basket.Empty;
        return false;
    }

    /// <summary>Removes a basket of an owner.</summary>
    /// <param name="id">The basket's id.</param>
    /// <param name="owner">The caller's owner key.</param>
    /// <returns>Whether the caller owned a basket with this id.</returns>
    public bool Remove(string id, string? owner) =>
        TryGet(id, owner, out Basket basket) && _baskets.TryRemove(new KeyValuePair<string, (string?, Basket)>(id, (owner, basket)));
}
