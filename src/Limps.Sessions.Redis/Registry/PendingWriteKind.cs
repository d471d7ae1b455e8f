namespace Limps.Sessions.Redis;

/// <summary>What a deferred store write does.</summary>
internal enum PendingWriteKind
{
    /// <summary>Releases a lease by its token.</summary>
    Release,

    /// <summary>Takes back a created session, by its incarnation, if nothing used it.</summary>
    Abandon,

    /// <summary>Reports to this replica's observers an end whose answer was lost, if Redis did end the session.</summary>
    ConfirmEnd,
}
