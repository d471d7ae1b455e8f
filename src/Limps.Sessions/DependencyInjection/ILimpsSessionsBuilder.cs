namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddLimpsSessions</c>, to chain further configuration of Limps.Sessions.</summary>
public interface ILimpsSessionsBuilder
{
    /// <summary>Gets the service collection Limps.Sessions is registered in.</summary>
    IServiceCollection Services { get; }
}
