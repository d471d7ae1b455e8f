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
    private readonly List<string[]> _parts = [];

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

    /// <summary>Gets every part of each command seen so far (name and arguments, as UTF-8 text), in order.</summary>
    public IReadOnlyList<string[]> Parts
    {
        get
        {
            lock (_lock)
            {
                return [.. _parts];
            }
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _commands.Clear();
            _parts.Clear();
        }
    }

    /// <summary>A reader for one connection's bytes.</summary>
    public Reader NewReader() => new(this);

    private void Add(string name, string[] parts)
    {
        lock (_lock)
        {
            _commands.Add(name);
            _parts.Add(parts);
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
                while ((consumed = TryReadCommand(out string? name, out string[]? parts)) > 0)
                {
                    _pending.RemoveRange(0, consumed);
                    log.Add(name!, parts!);
                }
            }
        }

        // Returns how many bytes one complete command took (0: not complete yet), its name and all its parts.
        private int TryReadCommand(out string? name, out string[]? all)
        {
            name = null;
            all = null;
            int at = 0;
            if (_pending.Count == 0 || _pending[0] != (byte)'*' || !TryReadNumber(ref at, out int parts))
            {
                return 0;
            }

            var read = new string[parts];
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

                read[i] = Encoding.UTF8.GetString(_pending.GetRange(at, length).ToArray());
                at += length + 2;
            }

            all = read;
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
