namespace Limps.Sessions.Client;

/// <summary>Masks session ids for logs and events: they are bearer secrets and are never shown whole.</summary>
internal static class SessionIdMask
{
    private const int MaxShown = 8;

    /// <summary>At most the first 8 characters (never more than half the id) followed by <c>...</c>.</summary>
    public static string Mask(string? id) =>
        string.IsNullOrEmpty(id) ? string.Empty : string.Concat(id.AsSpan(0, Math.Min(MaxShown, id.Length / 2)), "...");
}
