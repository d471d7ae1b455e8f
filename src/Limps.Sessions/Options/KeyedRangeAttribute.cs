using System.ComponentModel.DataAnnotations;

namespace Limps.Sessions;

/// <summary>
/// A <see cref="RangeAttribute"/> whose <see cref="ValidationAttribute.ErrorMessage"/> is honoured, for options whose
/// failure message must name the configuration key. The options validation source generator replaces a plain
/// <c>[Range]</c> with its own copy that ignores <c>ErrorMessage</c> (dotnet/runtime#123137); a derived attribute is
/// used as it is. Stores with options of their own (for example the Redis store) use it too.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class KeyedRangeAttribute : RangeAttribute
{
    /// <summary>Creates a range of integers.</summary>
    /// <param name="minimum">The smallest allowed value.</param>
    /// <param name="maximum">The largest allowed value.</param>
    public KeyedRangeAttribute(int minimum, int maximum)
        : base(minimum, maximum)
    {
    }

    /// <summary>Creates a range of values of <paramref name="type"/> given as invariant strings (for example <see cref="TimeSpan"/>s).</summary>
    /// <param name="type">The type of the property, for example <see cref="TimeSpan"/>.</param>
    /// <param name="minimum">The smallest allowed value, for example <c>"00:00:01"</c>.</param>
    /// <param name="maximum">The largest allowed value.</param>
    public KeyedRangeAttribute(Type type, string minimum, string maximum)
        : base(type, minimum, maximum)
    {
    }
}
