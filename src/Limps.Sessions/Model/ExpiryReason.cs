using System.Diagnostics.CodeAnalysis;

namespace Limps.Sessions;

/// <summary>
/// Why a session ended. An open class rather than an enum: subclass it (or construct it) for reasons of your
/// own, such as <c>revoked</c> or <c>quota</c>. Two reasons are equal when their <see cref="Code"/>s are.
/// </summary>
/// <remarks>
/// The code is what clients see: the <c>X-Session-Expired-Reason</c> header and the word in
/// "Session expired due to &lt;code&gt;. Please reconnect without session ID.". Stores keep only the code,
/// so a reason read back from a store is the built-in one with that code, or a plain
/// <see cref="ExpiryReason"/> carrying it.
/// </remarks>
/// <example>
/// <code>
/// public sealed class RevokedReason() : ExpiryReason("revoked", "An administrator revoked the session.");
/// await registry.EndAsync(id, new RevokedReason());
/// </code>
/// </example>
public class ExpiryReason : IEquatable<ExpiryReason>
{
    /// <summary>The longest code allowed.</summary>
    public const int MaxCodeLength = 32;

    /// <summary>Creates a reason.</summary>
    /// <param name="code">A stable lowercase token of 1 to 32 characters from <c>[a-z0-9_-]</c>.</param>
    /// <param name="description">A human description for logs and the optional <c>description</c> body field.</param>
    /// <exception cref="ArgumentException">The code or the description is not valid.</exception>
    public ExpiryReason(string code, string description)
    {
        if (!IsValidCode(code))
        {
            throw new ArgumentException(
                $"An expiry reason code must be 1 to {MaxCodeLength} characters from [a-z0-9_-]; got '{code}'.",
                nameof(code));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        Code = code;
        Description = description;
    }

    /// <summary>Gets the stable, machine-readable code, for example <c>timeout</c>.</summary>
    public string Code { get; }

    /// <summary>Gets the human description.</summary>
    public string Description { get; }

    /// <summary>The session was idle for longer than the idle timeout (code <c>timeout</c>).</summary>
    public static ExpiryReason Timeout { get; } = new("timeout", "The session was idle for longer than the idle timeout.");

    /// <summary>The transport or the server closed the session, including on graceful shutdown (code <c>closed</c>).</summary>
    public static ExpiryReason Closed { get; } = new("closed", "The server closed the session.");

    /// <summary>The client ended the session, for example with HTTP DELETE (code <c>deleted</c>).</summary>
    public static ExpiryReason Deleted { get; } = new("deleted", "The client deleted the session.");

    /// <summary>The session was ended to make room under a capacity policy (code <c>evicted</c>).</summary>
    public static ExpiryReason Evicted { get; } = new("evicted", "The session was evicted to make room for others.");

    /// <summary>The session reached its configured maximum lifetime (code <c>lifetime</c>).</summary>
    public static ExpiryReason Lifetime { get; } = new("lifetime", "The session reached its maximum lifetime.");

    /// <summary>Returns whether <paramref name="code"/> is a valid reason code.</summary>
    /// <param name="code">The candidate code.</param>
    /// <returns><see langword="true"/> for 1 to 32 characters from <c>[a-z0-9_-]</c>.</returns>
    public static bool IsValidCode([NotNullWhen(true)] string? code)
    {
        if (string.IsNullOrEmpty(code) || code.Length > MaxCodeLength)
        {
            return false;
        }

        foreach (char c in code)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Returns the built-in reason with this code, or a plain reason carrying it: how stores turn a stored
    /// code back into a reason. A user's subclass comes back as an equal plain reason (equality is by code).
    /// </summary>
    /// <param name="code">A valid reason code.</param>
    /// <param name="description">The description to use for a code that is not built in; defaults to the code.</param>
    /// <returns>The reason.</returns>
    /// <exception cref="ArgumentException">The code is not valid.</exception>
    public static ExpiryReason FromCode(string code, string? description = null) => code switch
    {
        "timeout" => Timeout,
        "closed" => Closed,
        "deleted" => Deleted,
        "evicted" => Evicted,
        "lifetime" => Lifetime,
        _ => new ExpiryReason(code, string.IsNullOrWhiteSpace(description) ? code : description),
    };

    /// <inheritdoc />
    public bool Equals(ExpiryReason? other) =>
        other is not null && string.Equals(Code, other.Code, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ExpiryReason);

    /// <inheritdoc />
    public override int GetHashCode() => Code.GetHashCode(StringComparison.Ordinal);

    /// <summary>Returns the <see cref="Code"/>.</summary>
    /// <returns>The code.</returns>
    public override string ToString() => Code;

    /// <summary>Compares two reasons by code.</summary>
    /// <param name="left">The first reason.</param>
    /// <param name="right">The second reason.</param>
    /// <returns><see langword="true"/> when both are null or have the same code.</returns>
    public static bool operator ==(ExpiryReason? left, ExpiryReason? right) =>
        left is null ? right is null : left.Equals(right);

    /// <summary>Compares two reasons by code.</summary>
    /// <param name="left">The first reason.</param>
    /// <param name="right">The second reason.</param>
    /// <returns><see langword="true"/> when the codes differ.</returns>
    public static bool operator !=(ExpiryReason? left, ExpiryReason? right) => !(left == right);
}
