using Limps.Sessions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Validates <see cref="LimpsSessionsOptions"/> when the host starts, with the core's own (internal, source-generated)
/// validator behind <see cref="LimpsSessionsOptions.ThrowIfInvalid"/>: a bad value stops start-up with a message
/// that names its key.
/// </summary>
internal sealed class ValidateLimpsSessionsOptions : IValidateOptions<LimpsSessionsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimpsSessionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            options.ThrowIfInvalid();
            return ValidateOptionsResult.Success;
        }
        catch (OptionsValidationException ex)
        {
            return ValidateOptionsResult.Fail(ex.Failures);
        }
    }
}
