using System.Diagnostics.Metrics;

namespace Limps.Sessions;

/// <summary>
/// Gives the meter of a handle kind's registry the tag <c>limps.handle.kind</c>, so that its instruments (the same
/// ones sessions have) can be told apart from the sessions' and from other kinds'. Wraps the host's factory when there
/// is one; otherwise owns the meters it creates.
/// </summary>
/// <remarks>
/// A store author passes one to the registry a handle store is built on, so every store's handle metrics carry the
/// same tag. Dispose it with the store: it disposes the meters it created itself, never the host's.
/// </remarks>
/// <param name="inner">The host's meter factory; <see langword="null"/> to create (and own) standalone meters.</param>
/// <param name="kind">The kind's name, the tag's value.</param>
public sealed class HandleKindMeterFactory(IMeterFactory? inner, string kind) : IMeterFactory
{
    /// <summary>The name of the tag that carries the kind's name.</summary>
    public const string KindTag = "limps.handle.kind";

    private readonly List<Meter> _owned = [];

    /// <summary>Creates a meter with the kind's tag added to <paramref name="options"/>' tags.</summary>
    /// <param name="options">The meter's options.</param>
    /// <returns>The meter.</returns>
    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tagged = new MeterOptions(options.Name)
        {
            Version = options.Version,
            Tags = [.. options.Tags ?? [], new KeyValuePair<string, object?>(KindTag, kind)],
            Scope = options.Scope,
        };
        if (inner is not null)
        {
            return inner.Create(tagged);
        }

        var meter = new Meter(tagged);
        lock (_owned)
        {
            _owned.Add(meter);
        }

        return meter;
    }

    /// <summary>Disposes the meters this factory created itself (none when it wraps the host's factory).</summary>
    public void Dispose()
    {
        lock (_owned)
        {
            foreach (Meter meter in _owned)
            {
                meter.Dispose();
            }

            _owned.Clear();
        }
    }
}
