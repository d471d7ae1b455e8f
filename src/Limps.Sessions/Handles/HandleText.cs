using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace Limps.Sessions;

/// <summary>
/// The texts of design §8, in one place: the durability policy for the creating tool's description, the tool-result
/// text for the model, the structured JSON for programs (byte for byte as §8 shows), and the masked form for
/// exception messages and logs.
/// </summary>
internal static class HandleText
{
    /// <summary>The longest handle text echoed back to the caller; longer input is cut and marked with "...".</summary>
    public const int MaxEcho = 128;

    private const int MaskedPrefixLength = 8;

    private static readonly InstantPattern Iso = InstantPattern.CreateWithInvariantCulture("uuuu-MM-dd'T'HH:mm:ss.fff'Z'");

    public static string FormatInstant(Instant instant) => Iso.Format(instant);

    /// <summary>The handle as the caller sent it, cut to <see cref="MaxEcho"/> characters.</summary>
    public static string Echo(string? handle) => handle is null
        ? string.Empty
        : handle.Length <= MaxEcho ? handle : string.Concat(handle.AsSpan(0, MaxEcho), "...");

    /// <summary>A form safe to log: at most 8 characters and never more than half of the text, then "...".</summary>
    public static string Mask(string? handle)
    {
        if (string.IsNullOrEmpty(handle))
        {
            return string.Empty;
        }

        int shown = Math.Min(MaskedPrefixLength, handle.Length / 2);
        return string.Concat(handle.AsSpan(0, shown), "...");
    }

    public static string Message(string code, string kind, string shownHandle, ExpiryReason? reason, Instant? expiredAt, string? createTool)
    {
        string name = shownHandle.Length == 0 ? "\"\"" : shownHandle;
        string hint = createTool is null ? string.Empty : $" Call {createTool} to start a new one.";
        return code == HandleErrorCodes.Expired && reason is not null && expiredAt is { } at
            ? $"{kind} {name} has expired (reason: {reason.Code}, at {FormatInstant(at)}).{hint}"
            : $"{kind} {name} is not known. It may be mistyped, or it ended too long ago to remember.{hint}";
    }

    public static string StructuredJson(string code, string kind, string echoedHandle, ExpiryReason? reason, Instant? expiredAt)
    {
        var buffer = new ArrayBufferWriter<byte>(160);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("code", code);
            writer.WriteString("kind", kind);
            writer.WriteString("handle", echoedHandle);
            if (code == HandleErrorCodes.Expired && reason is not null && expiredAt is { } at)
            {
                writer.WriteString("reason", reason.Code);
                writer.WriteString("expiredAt", FormatInstant(at));
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string DurabilityPolicy(HandleKindOptions options)
    {
        string plural = options.PluralName ?? options.Name + "s";
        bool idle = options.IdleTimeout > TimeSpan.Zero;
        bool lifetime = options.MaxLifetime > TimeSpan.Zero;
        return (idle, lifetime) switch
        {
            (true, true) => $"{plural} expire after {Duration(options.IdleTimeout)} idle or {Duration(options.MaxLifetime)} after creation, whichever comes first",
            (false, true) => $"{plural} expire {Duration(options.MaxLifetime)} after creation",
            (true, false) => $"{plural} expire after {Duration(options.IdleTimeout)} idle",
            _ => $"{plural} do not expire",
        };
    }

    /// <summary>
    /// A short human duration: whole days from 2 days up ("7 d"), otherwise hours and smaller units ("24 h", "36 h",
    /// "1 h 30 min", "1 s 500 ms"), as a policy sentence reads best.
    /// </summary>
    public static string Duration(TimeSpan span)
    {
        if (span.Ticks % TimeSpan.TicksPerDay == 0 && span.Days >= 2)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{span.Days} d");
        }

        var parts = new List<string>(4);
        long hours = (long)span.TotalHours;
        if (hours > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{hours} h"));
        }

        if (span.Minutes > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{span.Minutes} min"));
        }

        if (span.Seconds > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{span.Seconds} s"));
        }

        if (span.Milliseconds > 0 || parts.Count == 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{span.Milliseconds} ms"));
        }

        return string.Join(' ', parts);
    }
}
