namespace Microsoft.Extensions.DependencyInjection;

internal sealed class LimpsSessionsBuilder(IServiceCollection services) : ILimpsSessionsBuilder
{
    public IServiceCollection Services { get; } = services;
}
