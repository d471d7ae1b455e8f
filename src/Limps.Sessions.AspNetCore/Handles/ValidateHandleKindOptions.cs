using Microsoft.Extensions.Options;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Validates each registered kind's <see cref="HandleKindOptions"/> (named options, the name being the kind) at
/// start-up, with the core's own checks: a bad value stops start-up with a message that names its key
/// (<c>Limps:Handles:&lt;Kind&gt;:&lt;Setting&gt;</c>).
/// </summary>
internal sealed class ValidateHandleKindOptions : IValidateOptions<HandleKindOptions>
{
    public ValidateOptionsResult Validate(string? name, HandleKindOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(name))
        {
            // Only the named options of registered kinds are handle kinds.
            return ValidateOptionsResult.Skip;
        }

        if (!string.Equals(options.Name, name, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Fail(
                $"{new HandleKindOptions { Name = name }.SectionName}:Name is '{options.Name}', but the kind is registered as '{name}'; leave Name unset or make them equal.");
        }

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
