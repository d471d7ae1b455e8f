namespace Limps.Sessions;

/// <summary>
/// Thrown when a handle cannot be created because the kind's <see cref="HandleKindOptions.MaxHandles"/> handles are
/// live, or the owner already holds <see cref="HandleKindOptions.MaxHandlesPerOwner"/> of them, even after ending the
/// overdue ones.
/// </summary>
public sealed class HandleCapacityExceededException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public HandleCapacityExceededException()
        : this("The handle capacity is reached; no new handle can be created now.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public HandleCapacityExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public HandleCapacityExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a cap of a kind.</summary>
    /// <param name="kind">The kind's name.</param>
    /// <param name="limit">The cap that was reached.</param>
    /// <param name="perOwner"><see langword="true"/> when the owner's cap was reached, <see langword="false"/> for the kind's total.</param>
    public HandleCapacityExceededException(string kind, int limit, bool perOwner)
        : base(perOwner
            ? $"The owner already holds {limit} live {kind} handles, the most allowed; end one before creating another."
            : $"The capacity of {limit} live {kind} handles is reached; no new {kind} can be created now.")
    {
        Kind = kind;
        Limit = limit;
        PerOwner = perOwner;
    }

    /// <summary>Gets the kind's name, when known.</summary>
    public string? Kind { get; }

    /// <summary>Gets the cap that was reached, when known.</summary>
    public int? Limit { get; }

    /// <summary>Gets whether the owner's cap (rather than the kind's total) was reached.</summary>
    public bool PerOwner { get; }
}
