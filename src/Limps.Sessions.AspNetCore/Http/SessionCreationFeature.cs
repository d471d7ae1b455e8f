namespace Limps.Sessions.AspNetCore;

/// <summary>The metadata a session issued by this request's answer is registered with; created on first use.</summary>
internal sealed class SessionCreationFeature : ISessionCreationFeature
{
    private Dictionary<string, string>? _metadata;

    public IDictionary<string, string> Metadata => _metadata ??= new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets the metadata, or <see langword="null"/> when nothing was added (the common case allocates nothing more).</summary>
    public IReadOnlyDictionary<string, string>? Added => _metadata is { Count: > 0 } metadata ? metadata : null;
}
