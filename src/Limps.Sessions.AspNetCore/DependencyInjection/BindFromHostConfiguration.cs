using Limps.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Binds options from the host's <c>Limps:Sessions</c> section when the container has an
/// <see cref="IConfiguration"/>, so environment variables such as <c>Limps__Sessions__IdleTimeout</c> work with
/// the parameterless <c>AddLimpsSessions()</c>. Runs before any explicit configuration.
/// </summary>
internal sealed class BindFromHostConfiguration<TOptions>(IServiceProvider services) : IConfigureOptions<TOptions>
    where TOptions : class
{
    public void Configure(TOptions options)
    {
        if (services.GetService(typeof(IConfiguration)) is IConfiguration configuration)
        {
            configuration.GetSection(LimpsSessionsOptions.SectionName).Bind(options);
        }
    }
}
