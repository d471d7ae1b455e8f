namespace Limps.Sessions.Client;

/// <summary>What a request whose session failed does next.</summary>
internal enum RecoveryRole
{
    /// <summary>Another request already replaced the session: retry with the current id.</summary>
    AlreadyReplaced,

    /// <summary>A recovery is running: wait for it, then retry.</summary>
    Join,

    /// <summary>This request starts the recovery (and others join it).</summary>
    Lead,

    /// <summary>Too many recoveries in a row: return the 404 as it is.</summary>
    GiveUp,
}
