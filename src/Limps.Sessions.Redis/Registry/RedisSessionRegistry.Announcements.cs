using System.Buffers.Text;
using System.Text;

namespace Limps.Sessions.Redis;

/// <summary>Ends other replicas announce on the store's channel, handed to this replica's observers.</summary>
public sealed partial class RedisSessionRegistry
{
    private const int AnnouncementHeaderLines = 6;

    /// <summary>
    /// Notifies this replica's observers of an end another replica announced:
    /// <c>replica\nid\ncode\nexpired at\nlast active\nowner length in bytes (-1: none)\n</c>, then the owner and the
    /// description of a custom reason, which may hold any byte (so they are told apart by length, not separator).
    /// </summary>
    internal void OnAnnouncement(ReadOnlySpan<byte> message)
    {
        Span<Range> lines = stackalloc Range[AnnouncementHeaderLines + 1];
        int count = 0;
        int start = 0;
        while (count < AnnouncementHeaderLines)
        {
            int newline = message[start..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                RedisLog.AnnouncementIgnored(_logger);
                return;
            }

            lines[count++] = new Range(start, start + newline);
            start += newline + 1;
        }

        ReadOnlySpan<byte> rest = message[start..];
        if (!SessionId.TryParse(Encoding.UTF8.GetString(message[lines[1]]), out SessionId id)
            || !Utf8Parser.TryParse(message[lines[3]], out long expiredAt, out int used3) || used3 != message[lines[3]].Length
            || !Utf8Parser.TryParse(message[lines[4]], out long lastActive, out int used4) || used4 != message[lines[4]].Length
            || !Utf8Parser.TryParse(message[lines[5]], out int ownerLength, out int used5) || used5 != message[lines[5]].Length
            || ownerLength < -1 || ownerLength > rest.Length)
        {
            RedisLog.AnnouncementIgnored(_logger);
            return;
        }

        if (Encoding.UTF8.GetString(message[lines[0]]) == _store.ReplicaId)
        {
            return;
        }

        string? owner = ownerLength < 0 ? null : Encoding.UTF8.GetString(rest[..ownerLength]);
        string description = Encoding.UTF8.GetString(rest[Math.Max(0, ownerLength)..]);
        _telemetry.SessionEndedElsewhere(new ExpiredSession(
            id,
            _store.Reason(Encoding.UTF8.GetString(message[lines[2]]), description),
            RedisSessionStore.FromMicros(expiredAt),
            RedisSessionStore.FromMicros(lastActive),
            owner));
    }
}
