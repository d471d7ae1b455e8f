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

        foreach (string type in BindingClaimTypes)
        {
            foreach (ClaimsIdentity identity in user.Identities)
            {
                if (!identity.IsAuthenticated)
                {
                    continue;
                }

                Claim? claim = identity.FindFirst(type);
                if (claim is not null)
                {
                    return string.Join(Separator, claim.Type, claim.Issuer, claim.Value);
                }
            }
        }

        return null;
    }

    /// <summary>Rebuilds a principal the MCP SDK accepts as the owner of sessions bound to <paramref name="key"/>.</summary>
    /// <param name="key">An owner key from <see cref="KeyOf"/>, or <see langword="null"/> for an anonymous session.</param>
    /// <returns>An authenticated principal with the one binding claim, or an anonymous one.</returns>
    public static ClaimsPrincipal PrincipalOf(string? key)
    {
        if (key is null)
        {
            return new ClaimsPrincipal(new ClaimsIdentity());
        }

        string[] parts = key.Split(Separator, 3);
        var claim = new Claim(parts[0], parts[2], ClaimValueTypes.String, parts[1]);
        return new ClaimsPrincipal(new ClaimsIdentity([claim], authenticationType: "Limps.Sessions"));
    }
}
