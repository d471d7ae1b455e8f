using System.ComponentModel.DataAnnotations;

namespace Limps.Sessions.Redis;

/// <summary>
/// A <see cref="RangeAttribute"/> on integers whose <see cref="ValidationAttribute.ErrorMessage"/> is honoured (the
/// options validation source generator replaces a plain <c>[Range(int, int)]</c> with a copy that ignores it,
/// dotnet/runtime#123137, which would drop the configuration key from the message).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
internal sealed class KeyedRangeAttribute(int minimum, int maximum) : RangeAttribute(minimum, maximum);
