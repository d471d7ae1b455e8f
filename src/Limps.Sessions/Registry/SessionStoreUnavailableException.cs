namespace Limps.Sessions;

/// <summary>
/// Thrown by a registry or ledger whose backing store (for example Redis) cannot be reached or does not answer in
/// time. Nothing was changed. HTTP hosts answer 503 with <c>Retry-After</c>: not a 404, which would make clients drop
/// a session that is still live, and not a 500.
/// </summary>
public sealed class SessionStoreUnavailableException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public SessionStoreUnavailableException()
        : this("The session store is unavailable.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public SessionStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the store's own error.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The store's error.</param>
    public SessionStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
