using System.ComponentModel.DataAnnotations;

namespace Limps.Sessions.Redis;

/// <summary>
/// A <see cref="RangeAttribute"/> on <see cref="TimeSpan"/>s whose <see cref="ValidationAttribute.ErrorMessage"/> is
/// honoured: the options validation source generator replaces a plain <c>[Range(typeof(TimeSpan), ...)]</c> with a
/// copy that ignores it (dotnet/runtime#123137); a derived attribute is used as it is.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
internal sealed class KeyedTimeRangeAttribute(string minimum, string maximum) : RangeAttribute(typeof(TimeSpan), minimum, maximum);
