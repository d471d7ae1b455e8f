using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Limps.Sessions;

/// <summary>
/// Turns a kind's states into UTF-8 JSON and back with a <see cref="JsonTypeInfo{T}"/> (so trimmed and native AOT
/// hosts work), for stores that keep states outside process memory. Every failure to serialize is a
/// <see cref="HandleStateSerializationException"/> naming the kind and the type; a store serializes before it writes
/// anything, so a state that cannot be kept fails the create or update that brought it, never a later use.
/// </summary>
/// <typeparam name="TState">The application's state kept per handle.</typeparam>
public sealed class HandleStateSerializer<TState>
{
    private readonly JsonTypeInfo<TState> _typeInfo;

    /// <summary>Creates a serializer for one kind.</summary>
    /// <param name="kind">The kind's name, for error messages.</param>
    /// <param name="typeInfo">The state's JSON contract.</param>
    public HandleStateSerializer(string kind, JsonTypeInfo<TState> typeInfo)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(typeInfo);
        Kind = kind;
        _typeInfo = typeInfo;
    }

    /// <summary>Gets the kind's name.</summary>
    public string Kind { get; }

    /// <summary>Serializes a state.</summary>
    /// <param name="state">The state.</param>
    /// <returns>The state as UTF-8 JSON.</returns>
    /// <exception cref="HandleStateSerializationException">The state cannot be serialized (for example a cycle, or a member the contract does not support).</exception>
    public byte[] Serialize(TState state)
    {
        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(state, _typeInfo);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new HandleStateSerializationException(Kind, typeof(TState), ex);
        }
    }

    /// <summary>Reads a state written by <see cref="Serialize"/>.</summary>
    /// <param name="json">The UTF-8 JSON.</param>
    /// <returns>The state.</returns>
    /// <exception cref="JsonException">The JSON is not a state of this type (for example written by an older version of the type).</exception>
    public TState Deserialize(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, _typeInfo) ?? throw new JsonException($"A stored {Kind} state is JSON null.");

    /// <summary>Reads a state written by <see cref="Serialize"/>.</summary>
    /// <param name="json">The UTF-8 JSON, possibly in segments.</param>
    /// <returns>The state.</returns>
    /// <exception cref="JsonException">The JSON is not a state of this type.</exception>
    public TState Deserialize(ReadOnlySequence<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        return JsonSerializer.Deserialize(ref reader, _typeInfo) ?? throw new JsonException($"A stored {Kind} state is JSON null.");
    }
}
