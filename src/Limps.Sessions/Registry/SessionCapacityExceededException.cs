namespace Limps.Sessions;

/// <summary>
/// Thrown when a session cannot be created because <see cref="LimpsSessionsOptions.MaxSessions"/> sessions are
/// already live. HTTP hosts answer it with 503 and <c>Retry-After</c>.
/// </summary>
public sealed class SessionCapacityExceededException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public SessionCapacityExceededException()
        : this("The session capacity is reached; no new session can be created now.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public SessionCapacityExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SessionCapacityExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a given capacity.</summary>
    /// <param name="maxSessions">The capacity that was reached.</param>
    public SessionCapacityExceededException(int maxSessions)
        : this($"The session capacity of {maxSessions} live sessions is reached; no new session can be created now.")
    {
        MaxSessions = maxSessions;
    }

    /// <summary>Gets the capacity that was reached, when known.</summary>
    public int? MaxSessions { get; }
}
