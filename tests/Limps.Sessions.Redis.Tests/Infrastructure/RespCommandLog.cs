using System.Text;

namespace Limps.Sessions.Redis.Tests.Infrastructure;

/// <summary>
/// Reads the commands a Redis client sends (RESP arrays of bulk strings, as StackExchange.Redis writes them) from the
/// bytes a proxy forwards, chunk by chunk, and keeps each command's name: how tests count round trips for real.
/// One reader per connection (<see cref="NewReader"/>), one log for all.
/// </summary>
public sealed class RespCommandLog
{
    private readonly Lock _lock = new();
    private readonly List<string> _commands = [];

    /// <summary>
    /// Gets the commands seen so far, in order: the name in upper case, followed for <c>EVALSHA</c> by a space and the
    /// script's digest (lower-case hex), so tests can tell which script ran.
    /// </summary>
    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (_lock)
            {
                return [.. _commands];
            }
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _commands.Clear();
        }
    }

    /// <summary>A reader for one connection's bytes.</summary>
    public Reader NewReader() => new(this);

    private void Add(string name)
    {
        lock (_lock)
        {
            _commands.Add(name);
        }
    }

    /// <summary>Reads one connection's commands into the log.</summary>
    public sealed class Reader(RespCommandLog log)
    {
        private readonly List<byte> _pending = [];

        public void Feed(ReadOnlySpan<byte> chunk)
        {
            lock (_pending)
            {
                foreach (byte b in chunk)
                {
                    _pending.Add(b);
                }

                int consumed;
                while ((consumed = TryReadCommand(out string? name)) > 0)
                {
                    _pending.RemoveRange(0, consumed);
                    log.Add(name!);
                }
            }
        }

        // Returns how many bytes one complete command took (0: not complete yet) and its name.
        private int TryReadCommand(out string? name)
        {
            name = null;
            int at = 0;
            if (_pending.Count == 0 || _pending[0] != (byte)'*' || !TryReadNumber(ref at, out int parts))
            {
                return 0;
            }

            for (int i = 0; i < parts; i++)
            {
                if (at >= _pending.Count || _pending[at] != (byte)'$' || !TryReadNumber(ref at, out int length)
                    || at + length + 2 > _pending.Count)
                {
                    return 0;
                }

                if (i == 0)
                {
                    name = Encoding.ASCII.GetString(_pending.GetRange(at, length).ToArray()).ToUpperInvariant();
                }
                else if (i == 1 && name == "EVALSHA")
                {
                    name += " " + Encoding.ASCII.GetString(_pending.GetRange(at, length).ToArray()).ToLowerInvariant();
                }

                at += length + 2;
            }

            return at;
        }

        // Reads the number after a type byte up to CRLF; moves past the CRLF.
        private bool TryReadNumber(ref int at, out int value)
        {
            value = 0;
            int i = at + 1;
            while (i < _pending.Count && _pending[i] != (byte)'\r')
            {
                value = (value * 10) + (_pending[i] - '0');
                i++;
            }

            if (i + 1 >= _pending.Count)
            {
                return false;
            }

            at = i + 2;
            return true;
        }
    }
}
