namespace Limps.Sessions;

/// <summary>Which of the three answers a <see cref="SessionLookup"/> holds.</summary>
public enum SessionLookupKind
{
    /// <summary>The id is neither live nor remembered in the ledger.</summary>
    NotFound = 0,

    /// <summary>The session is live.</summary>
    Active = 1,

    /// <summary>The session ended and its tombstone is in the ledger.</summary>
    Expired = 2,
}
