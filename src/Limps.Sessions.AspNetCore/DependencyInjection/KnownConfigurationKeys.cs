using System.Reflection;
using Limps.Sessions;
using Limps.Sessions.AspNetCore;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Fails start-up on a key under <c>Limps:Sessions</c> that no Limps setting has (a misspelled <c>IdelTimeout</c> would
/// otherwise be ignored and the default silently used). Both option types bind from the same section, so the binder's
/// own <c>ErrorOnUnknownConfiguration</c> cannot be used: each would refuse the other's keys. Sub-sections (for example
/// <c>Limps:Sessions:Redis</c>) belong to other packages and are left to them.
/// </summary>
internal static class KnownConfigurationKeys
{
    private static readonly HashSet<string> Keys = new(
        SettableProperties(typeof(LimpsSessionsOptions)).Concat(SettableProperties(typeof(LimpsSessionsHttpOptions))),
        StringComparer.OrdinalIgnoreCase);

    public static void ThrowIfUnknown(IConfiguration section, string path)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (child.Value is not null && !Keys.Contains(child.Key))
            {
                throw new InvalidOperationException(
                    $"{path}:{child.Key} is not a Limps.Sessions setting; check its spelling. Known settings: "
                    + string.Join(", ", Keys.Order(StringComparer.Ordinal)) + ".");
            }
        }
    }

    private static IEnumerable<string> SettableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true).Select(p => p.Name);
}
