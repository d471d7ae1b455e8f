namespace Limps.Sessions.Redis.Tests.Handles;

/// <summary>A state JSON cannot hold: it refers to itself.</summary>
public sealed class Unwritable
{
    public Unwritable? Self { get; set; }
}
