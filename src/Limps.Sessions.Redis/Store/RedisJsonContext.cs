using System.Text.Json.Serialization;

namespace Limps.Sessions.Redis;

/// <summary>Source-generated JSON for the session metadata kept in Redis.</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class RedisJsonContext : JsonSerializerContext;
