using System.Diagnostics.Metrics;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Limps.Sessions;

/// <summary>
/// The default <see cref="IHandleStoreFactory"/>: an <see cref="InMemoryHandleStore{TState}"/> per kind, keeping states
/// as they are (no serialization), for a single server process.
/// </summary>
/// <param name="clock">The clock every expiry decision reads; <see langword="null"/> for <see cref="SystemClock.Instance"/>.</param>
/// <param name="loggerFactory">Where the stores log; handles are always masked.</param>
/// <param name="meterFactory">Creates the stores' meters (tagged with the kind).</param>
public sealed class InMemoryHandleStoreFactory(
    IClock? clock = null,
    ILoggerFactory? loggerFactory = null,
    IMeterFactory? meterFactory = null) : IHandleStoreFactory
{
    /// <inheritdoc />
    /// <remarks>
    /// The session lifecycle observers of the host are not given to handle stores: they act on sessions (for example
    /// releasing the MCP server's session state), and a handle is not a session.
    /// </remarks>
    public IHandleStore<TState> Create<TState>(HandleKindOptions kind, JsonTypeInfo<TState>? stateTypeInfo) =>
        new InMemoryHandleStore<TState>(kind, clock, observers: null, loggerFactory, meterFactory);
}
