using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Limps.Sessions.Redis;

/// <summary>
/// Stands in for a StackExchange.Redis exception inside <see cref="SessionStoreUnavailableException"/>: the same type
/// name, message and stack trace, with every session id masked. Key names carry the id after the shard's hash tag
/// (<c>&lt;prefix&gt;{&lt;tag&gt;}:&lt;id&gt;:s</c>), and the message of an exception inside the original is folded in
/// the same way.
/// </summary>
internal sealed partial class RedisStoreFailure : Exception
{
    private RedisStoreFailure(string message)
        : base(message)
    {
    }

    /// <summary>Gets the full name of the exception this one stands in for.</summary>
    public string OriginalType { get; private init; } = string.Empty;

    public static RedisStoreFailure From(Exception original)
    {
        var message = new StringBuilder();
        for (Exception? ex = original; ex is not null; ex = ex.InnerException)
        {
            if (message.Length > 0)
            {
                message.Append(" ---> ");
            }

            message.Append(ex.GetType().Name).Append(": ").Append(Mask(ex.Message));
        }

        var failure = new RedisStoreFailure(message.ToString()) { OriginalType = original.GetType().FullName ?? string.Empty };
        return original.StackTrace is { } stack
            ? (RedisStoreFailure)ExceptionDispatchInfo.SetRemoteStackTrace(failure, stack)
            : failure;
    }

    /// <summary>
    /// Masks the id in every session or tombstone key (what stands between the hash tag and <c>:s</c> or <c>:t</c>), then
    /// whatever else stands between braces (long enough to be more than a shard's tag).
    /// </summary>
    public static string Mask(string text)
    {
        string keysMasked = SessionKey().Replace(text, match => "}:" + MaskValue(match.Groups[1].Value) + ":" + match.Groups[2].Value);
        return HashTag().Replace(keysMasked, match => "{" + MaskValue(match.Groups[1].Value) + "}");
    }

    private static string MaskValue(string value) =>
        SessionId.TryParse(value, out SessionId id) ? id.Masked : (value.Length <= 8 ? value : value[..8] + "...");

    // Ids are visible ASCII and may hold ':', so the id ends at the last ':s'/':t' before a space, a quote or the end.
    [GeneratedRegex(@"\}:(\S+?):([st])(?=[\s'"",;)\]]|$)", RegexOptions.CultureInvariant)]
    private static partial Regex SessionKey();

    [GeneratedRegex(@"\{([^{}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex HashTag();
}
