using System.Text.Json.Serialization;

namespace Limps.Sessions.SampleHost.Tools;

/// <summary>
/// The basket's JSON contract, source-generated: a handle store that keeps states outside process memory (Redis)
/// serializes baskets with it, and trimmed hosts keep working.
/// </summary>
[JsonSerializable(typeof(Basket))]
public sealed partial class SampleJson : JsonSerializerContext;
