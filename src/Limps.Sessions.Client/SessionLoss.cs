namespace Limps.Sessions.Client;

/// <summary>What a 404 on a request that carried a session id said.</summary>
/// <param name="Reason">Limps's answer code, or a plain 404.</param>
/// <param name="ExpiryReason">The expiry reason code, when the server gave one.</param>
internal readonly record struct SessionLoss(SessionLossReason Reason, string? ExpiryReason)
{
    /// <summary>The metric tag value of <see cref="Reason"/>.</summary>
    public string Tag => Reason switch
    {
        SessionLossReason.Expired => "expired",
        SessionLossReason.NotFound => "not_found",
        _ => "plain_404",
    };
}
