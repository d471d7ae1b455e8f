using System.ComponentModel.DataAnnotations;

namespace Limps.Sessions;

/// <summary>
/// A <see cref="RangeAttribute"/> on integers whose <see cref="ValidationAttribute.ErrorMessage"/> is honoured.
/// The options validation source generator replaces a plain <c>[Range(int, int)]</c> with its own copy that
/// ignores <c>ErrorMessage</c> (dotnet/runtime#123137), which would drop the configuration key from the message;
/// a derived attribute is used as it is.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
internal sealed class KeyedRangeAttribute(int minimum, int maximum) : RangeAttribute(minimum, maximum);
