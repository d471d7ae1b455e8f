using System.Diagnostics.Metrics;

namespace Limps.Sessions.Redis;

/// <summary>
/// Gives a handle kind's meter the tag <c>limps.handle.kind</c> (as the in-memory store does), so its instruments, the
/// same ones sessions have, can be told apart. Wraps the host's factory when there is one; otherwise owns its meters.
/// </summary>
internal sealed class KindTaggedMeterFactory(IMeterFactory? inner, string kind) : IMeterFactory
{
    public const string KindTag = "limps.handle.kind";

    private readonly List<Meter> _owned = [];

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
