using NodaTime.Testing;

namespace Limps.Sessions.Tests.Contract;

// Inside the namespace, so the suite's harness wins over the in-memory tests' own RegistryHarness.
using Limps.Sessions.Testing;

/// <summary>
/// The registry contract on a store that implements only the required members: its owner-checked lease is the
/// interface's default (look-up, owner check, lease), as a third-party store gets it.
/// </summary>
[TestFixture]
public sealed class DefaultOwnerLeaseRegistryContractTests : RegistryContractTests
{
    protected override RegistryHarness Create(Action<LimpsSessionsOptions>? configure = null)
    {
        var options = new LimpsSessionsOptions();
        configure?.Invoke(options);
        var clock = new FakeClock(TestTime.Start);
        var ledger = new InMemoryExpiryLedger(options, clock);
        var observer = new RecordingObserver();
        var registry = new InMemorySessionRegistry(options, clock, ledger, [observer]);
        return new RegistryHarness(options, clock, new MinimalRegistry(registry), ledger, observer, registry.Dispose);
    }

    // Forwards the required members only, so calls to BeginLeaseForOwnerAsync reach the interface's default.
    private sealed class MinimalRegistry(ISessionRegistry inner) : ISessionRegistry
    {
        public ValueTask<SessionInfo> CreateAsync(
            SessionId? id = null,
            string? owner = null,
            IReadOnlyDictionary<string, string>? metadata = null,
            CancellationToken cancellationToken = default) => inner.CreateAsync(id, owner, metadata, cancellationToken);

        public ValueTask<SessionLookup> LookupAsync(SessionId id, CancellationToken cancellationToken = default) =>
            inner.LookupAsync(id, cancellationToken);

        public ValueTask<SessionLookup> TouchAsync(SessionId id, CancellationToken cancellationToken = default) =>
            inner.TouchAsync(id, cancellationToken);

        public ValueTask<SessionLease> BeginLeaseAsync(SessionId id, CancellationToken cancellationToken = default) =>
            inner.BeginLeaseAsync(id, cancellationToken);

        public ValueTask<bool> EndAsync(SessionId id, ExpiryReason reason, CancellationToken cancellationToken = default) =>
            inner.EndAsync(id, reason, cancellationToken);

        public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) => inner.SweepAsync(cancellationToken);

        public ValueTask<int> EndAllAsync(ExpiryReason reason, CancellationToken cancellationToken = default) =>
            inner.EndAllAsync(reason, cancellationToken);

        public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);
    }
}
