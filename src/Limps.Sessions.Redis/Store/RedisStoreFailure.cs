using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Limps.Sessions.Redis;

/// <summary>
/// Stands in for a StackExchange.Redis exception inside <see cref="SessionStoreUnavailableException"/>: the same type
/// name, message and stack trace, with every session id masked. Key names carry the id between braces (the hash tag),
/// and the message of an exception inside the original is folded in the same way.
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

    /// <summary>Masks whatever stands between braces (a key's hash tag, where the store puts a session id).</summary>
    public static string Mask(string text) => HashTag().Replace(text, match => "{" + MaskValue(match.Groups[1].Value) + "}");

    private static string MaskValue(string value) =>
        SessionId.TryParse(value, out SessionId id) ? id.Masked : (value.Length <= 8 ? value : value[..8] + "...");

    [GeneratedRegex(@"\{([^{}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex HashTag();
}
