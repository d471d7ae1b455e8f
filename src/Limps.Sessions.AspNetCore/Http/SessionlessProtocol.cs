using Microsoft.Extensions.Primitives;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Decides whether a request speaks a protocol version without sessions (2026-07-28 and later), which is the MCP
/// server's business alone. The header must be one real date written exactly <c>yyyy-MM-dd</c>: anything else (for
/// example <c>zzzzzzzzzz</c>, which sorts after every date) is checked like any other request.
/// </summary>
internal static class SessionlessProtocol
{
    private const string FirstSessionlessVersion = "2026-07-28";

    public static bool IsSessionless(StringValues versions)
    {
        // The common case, a dated version before 2026-07-28, costs a length check and one ordinal comparison.
        return versions.Count == 1
            && versions[0] is { Length: 10 } version
            && string.CompareOrdinal(version, FirstSessionlessVersion) >= 0
            && IsDate(version);
    }

    private static bool IsDate(string version)
    {
        if (version[4] != '-' || version[7] != '-'
            || !TryDigits(version, 0, 4, out int year)
            || !TryDigits(version, 5, 2, out int month)
            || !TryDigits(version, 8, 2, out int day))
        {
            return false;
        }

        return month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month);
    }

    private static bool TryDigits(string text, int start, int count, out int value)
    {
        value = 0;
        for (int i = start; i < start + count; i++)
        {
            int digit = text[i] - '0';
            if (digit is < 0 or > 9)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }
}
