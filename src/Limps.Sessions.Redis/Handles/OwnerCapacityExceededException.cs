namespace Limps.Sessions.Redis;

/// <summary>Thrown inside the library when a handle's owner already holds as many live handles as the kind allows.</summary>
internal sealed class OwnerCapacityExceededException : Exception
{
    public OwnerCapacityExceededException()
        : base("The owner holds as many live handles as the kind allows.")
    {
    }

    public OwnerCapacityExceededException(string message)
        : base(message)
    {
    }

    public OwnerCapacityExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
