using System.Security.Claims;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Turns the caller's principal into the owner key a session is bound to (<see cref="SessionInfo.Owner"/>), and back.
/// The key is the first claim the MCP SDK itself binds sessions to (NameIdentifier, then <c>sub</c>, then UPN) of an
/// authenticated identity, with its type and issuer, so a principal rebuilt from the key is accepted by the SDK as the
/// same user. Use it to compare a caller with a session's owner the way the HTTP check does.
/// </summary>
public static class SessionOwner
{
    private const char Separator = '\u001F';
    private static readonly string[] BindingClaimTypes = [ClaimTypes.NameIdentifier, "sub", ClaimTypes.Upn];

    /// <summary>Returns the owner key of a caller, or <see langword="null"/> for an anonymous caller.</summary>
    /// <param name="user">The caller's principal.</param>
    /// <returns>The key sessions created by this caller are bound to.</returns>
    public static string? KeyOf(ClaimsPrincipal? user)
    {
        if (user is null)
        {
            return null;
        }

        // ClaimsPrincipal.Identities is a List at run time: indexing it avoids a boxed enumerator per loop on every
        // request, and an anonymous caller (ASP.NET Core's default principal) is answered without any claim search.
        if (user.Identities is IReadOnlyList<ClaimsIdentity> identities)
        {
            if (!AnyAuthenticated(identities))
            {
                return null;
            }

            foreach (string type in BindingClaimTypes)
            {
                for (int i = 0; i < identities.Count; i++)
                {
                    if (KeyOfIdentity(identities[i], type) is { } key)
                    {
                        return key;
                    }
                }
            }

            return null;
        }

        foreach (string type in BindingClaimTypes)
        {
            foreach (ClaimsIdentity identity in user.Identities)
            {
                if (KeyOfIdentity(identity, type) is { } key)
                {
                    return key;
                }
            }
        }

        return null;
    }

    /// <summary>Rebuilds a principal the MCP SDK accepts as the owner of sessions bound to <paramref name="key"/>.</summary>
    /// <param name="key">An owner key from <see cref="KeyOf"/>, or <see langword="null"/> for an anonymous session.</param>
    /// <returns>An authenticated principal with the one binding claim, or an anonymous one.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> was not made by <see cref="KeyOf"/>.</exception>
    public static ClaimsPrincipal PrincipalOf(string? key)
    {
        if (key is null)
        {
            return new ClaimsPrincipal(new ClaimsIdentity());
        }

        string[] parts = key.Split(Separator, 3);
        if (parts.Length != 3)
        {
            // Only keys made by KeyOf can be turned back into a principal; any other owner string (one a caller of
            // ISessionRegistry.CreateAsync chose) says nothing about the claim the MCP server binds sessions to.
            throw new ArgumentException("The owner key was not made by SessionOwner.KeyOf.", nameof(key));
        }

        var claim = new Claim(parts[0], parts[2], ClaimValueTypes.String, parts[1]);
        return new ClaimsPrincipal(new ClaimsIdentity([claim], authenticationType: "Limps.Sessions"));
    }

    private static bool AnyAuthenticated(IReadOnlyList<ClaimsIdentity> identities)
    {
        for (int i = 0; i < identities.Count; i++)
        {
            if (identities[i].IsAuthenticated)
            {
                return true;
            }
        }

        return false;
    }

    private static string? KeyOfIdentity(ClaimsIdentity identity, string type)
    {
        if (!identity.IsAuthenticated)
        {
            return null;
        }

        Claim? claim = identity.FindFirst(type);
        return claim is null ? null : string.Join(Separator, claim.Type, claim.Issuer, claim.Value);
    }
}
