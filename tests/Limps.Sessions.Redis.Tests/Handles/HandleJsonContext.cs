using System.Text.Json.Serialization;

namespace Limps.Sessions.Redis.Tests.Handles;

/// <summary>The states the handle tests keep in Redis, as a trimmed host would declare them.</summary>
[JsonSerializable(typeof(Basket))]
[JsonSerializable(typeof(Unwritable))]
internal sealed partial class HandleJsonContext : JsonSerializerContext;
