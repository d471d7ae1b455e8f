using Microsoft.Extensions.Options;

namespace Limps.Sessions.AspNetCore;

/// <summary>Validates <see cref="LimpsSessionsHttpOptions"/> (source-generated from its data annotations).</summary>
[OptionsValidator]
public sealed partial class LimpsSessionsHttpOptionsValidator : IValidateOptions<LimpsSessionsHttpOptions>
{
}
