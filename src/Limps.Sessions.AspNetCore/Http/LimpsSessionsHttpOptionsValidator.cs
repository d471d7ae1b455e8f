using Microsoft.Extensions.Options;

namespace Limps.Sessions.AspNetCore;

/// <summary>Validates <see cref="LimpsSessionsHttpOptions"/>; failure messages name the configuration key.</summary>
internal sealed class LimpsSessionsHttpOptionsValidator : IValidateOptions<LimpsSessionsHttpOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LimpsSessionsHttpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.RetryAfter < LimpsSessionsHttpOptions.MinRetryAfter || options.RetryAfter > LimpsSessionsHttpOptions.MaxRetryAfter)
        {
            return ValidateOptionsResult.Fail(
                $"{LimpsSessionsOptions.SectionName}:{nameof(options.RetryAfter)} must be between "
                + $"{LimpsSessionsHttpOptions.MinRetryAfter} and {LimpsSessionsHttpOptions.MaxRetryAfter}; got {options.RetryAfter}.");
        }

        return options.ReleaseDrainTimeout < TimeSpan.Zero || options.ReleaseDrainTimeout > LimpsSessionsHttpOptions.MaxReleaseDrainTimeout
            ? ValidateOptionsResult.Fail(
                $"{LimpsSessionsOptions.SectionName}:{nameof(options.ReleaseDrainTimeout)} must be between "
                + $"{TimeSpan.Zero} and {LimpsSessionsHttpOptions.MaxReleaseDrainTimeout}; got {options.ReleaseDrainTimeout}.")
            : ValidateOptionsResult.Success;
    }
}
