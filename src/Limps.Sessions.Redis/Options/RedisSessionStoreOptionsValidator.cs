using Microsoft.Extensions.Options;

namespace Limps.Sessions.Redis;

/// <summary>
/// Validates <see cref="RedisSessionStoreOptions"/> (source-generated from its data annotations). Hosts run it at
/// start-up; the Redis registry and ledger run it in their constructors.
/// </summary>
[OptionsValidator]
internal sealed partial class RedisSessionStoreOptionsValidator : IValidateOptions<RedisSessionStoreOptions>
{
    /// <summary>Throws when <paramref name="options"/> are not valid.</summary>
    /// <param name="options">The options to check.</param>
    /// <exception cref="OptionsValidationException">A value is out of range; the message names its key.</exception>
    public static void ThrowIfInvalid(RedisSessionStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateOptionsResult result = new RedisSessionStoreOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(RedisSessionStoreOptions), result.Failures);
        }
    }
}
