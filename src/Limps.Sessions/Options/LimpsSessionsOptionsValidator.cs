using Microsoft.Extensions.Options;

namespace Limps.Sessions;

/// <summary>
/// Validates <see cref="LimpsSessionsOptions"/> (source-generated from its data annotations). Hosts run it at
/// start-up; the registries and ledgers run it in their constructors (through
/// <see cref="LimpsSessionsOptions.ThrowIfInvalid"/>). Internal: users validate through the options or the host.
/// </summary>
[OptionsValidator]
internal sealed partial class LimpsSessionsOptionsValidator : IValidateOptions<LimpsSessionsOptions>
{
    /// <summary>Throws when <paramref name="options"/> are not valid.</summary>
    /// <param name="options">The options to check.</param>
    /// <exception cref="OptionsValidationException">A value is out of range; the message names its key.</exception>
    public static void ThrowIfInvalid(LimpsSessionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateOptionsResult result = new LimpsSessionsOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(LimpsSessionsOptions), result.Failures);
        }
    }
}
