namespace Limps.Sessions;

/// <summary>
/// Thrown when a store that keeps states outside process memory cannot serialize a handle's state. It is thrown by the
/// create (or update) that brought the state, never by a later use, so the tool that made the state sees it. It is an
/// <see cref="ArgumentException"/>: the state given to the store is what is wrong.
/// </summary>
public sealed class HandleStateSerializationException : ArgumentException
{
    /// <summary>Creates the exception with a default message.</summary>
    public HandleStateSerializationException()
        : this("The handle's state cannot be serialized.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public HandleStateSerializationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public HandleStateSerializationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a kind's state type.</summary>
    /// <param name="kind">The kind's name.</param>
    /// <param name="stateType">The state's type.</param>
    /// <param name="innerException">What the serializer reported.</param>
    public HandleStateSerializationException(string kind, Type stateType, Exception innerException)
        : base(
            $"The state of a new or updated {kind} handle ({stateType?.FullName}) cannot be serialized to JSON, which the configured handle store needs: {innerException?.Message}",
            innerException)
    {
        Kind = kind;
        StateType = stateType;
    }

    /// <summary>Gets the kind's name, when known.</summary>
    public string? Kind { get; }

    /// <summary>Gets the state's type, when known.</summary>
    public Type? StateType { get; }
}
