using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using StackExchange.Redis;

namespace Limps.Sessions.Redis;

/// <summary>
/// A session's metadata as Redis answered it (a JSON object of strings, UTF-8), turned into a dictionary only when
/// someone reads it. A request's lease carries its session's metadata, but the HTTP check never reads it: parsing it
/// there cost more allocations than the rest of the check.
/// </summary>
/// <remarks>
/// The answer is checked when it arrives (an object whose values are all strings, which also gives the count without
/// allocating), so a malformed value fails where it always did, in the call that read it, never later in a getter.
/// </remarks>
internal sealed class RedisMetadata : IReadOnlyDictionary<string, string>
{
    private readonly ReadOnlyMemory<byte> _json;
    private Dictionary<string, string>? _parsed;

    private RedisMetadata(ReadOnlyMemory<byte> json, int count)
    {
        _json = json;
        Count = count;
    }

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public IEnumerable<string> Keys => Parsed.Keys;

    /// <inheritdoc />
    public IEnumerable<string> Values => Parsed.Values;

    private Dictionary<string, string> Parsed
    {
        get
        {
            Dictionary<string, string>? parsed = Volatile.Read(ref _parsed);
            if (parsed is null)
            {
                // Two readers at once may both parse; either result is the same.
                parsed = JsonSerializer.Deserialize(_json.Span, RedisJsonContext.Default.DictionaryStringString)!;
                Volatile.Write(ref _parsed, parsed);
            }

            return parsed;
        }
    }

    /// <inheritdoc />
    public string this[string key] => Parsed[key];

    /// <summary>The metadata of an answer (stored as an empty string when there is none: then <see langword="null"/>).</summary>
    /// <exception cref="JsonException">The stored value is not a JSON object of strings.</exception>
    public static IReadOnlyDictionary<string, string>? From(RedisResult stored)
    {
        ReadOnlyMemory<byte> json = (RedisValue)stored;
        return json.IsEmpty ? null : new RedisMetadata(json, CountStrings(json.Span));
    }

    /// <inheritdoc />
    public bool ContainsKey(string key) => Parsed.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value) => Parsed.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => Parsed.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // Walks the object once without allocating: counts its properties and checks that every value is a string.
    private static int CountStrings(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The stored session metadata is not a JSON object.");
        }

        int count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException("The stored session metadata holds a value that is not a string.");
            }

            count++;
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw new JsonException("The stored session metadata is not a JSON object.");
        }

        return count;
    }
}
