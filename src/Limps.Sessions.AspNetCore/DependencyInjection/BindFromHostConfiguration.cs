using Limps.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Binds options from the host's <c>Limps:Sessions</c> section when the container has an
/// <see cref="IConfiguration"/>, so environment variables such as <c>Limps__Sessions__IdleTimeout</c> work with
/// the parameterless <c>AddLimpsSessions()</c>. Runs before any explicit configuration. A key no setting has fails
/// start-up (options are validated when the host starts).
/// </summary>
internal sealed class BindFromHostConfiguration<TOptions>(IServiceProvider services) : IConfigureOptions<TOptions>
    where TOptions : class
{
    public void Configure(TOptions options)
    {
        if (services.GetService(typeof(IConfiguration)) is IConfiguration configuration)
        {
            IConfigurationSection section = configuration.GetSection(LimpsSessionsOptions.SectionName);
            KnownConfigurationKeys.ThrowIfUnknown(section, LimpsSessionsOptions.SectionName);
            section.Bind(options);
        }
    }
}
