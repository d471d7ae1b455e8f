using Microsoft.Extensions.Options;

namespace Limps.Sessions;

/// <summary>
/// Validates <see cref="HandleKindOptions"/>. Every failure names its configuration key
/// (<c>Limps:Handles:&lt;Kind&gt;:&lt;Setting&gt;</c>), so a host that binds kinds from configuration can say which
/// value to fix. Written by hand rather than from data annotations because the key depends on the kind's name.
/// </summary>
internal sealed class HandleKindOptionsValidator : IValidateOptions<HandleKindOptions>
{
    private const int MaxNameLength = 32;
    private const int MaxPrefixLength = 16;
    private const int MaxCount = 100_000_000;
    private static readonly TimeSpan MaxSpan = TimeSpan.FromDays(365);

    public static void ThrowIfInvalid(HandleKindOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateOptionsResult result = new HandleKindOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(HandleKindOptions), result.Failures);
        }
    }

    public ValidateOptionsResult Validate(string? name, HandleKindOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string section = options.SectionName;
        var failures = new List<string>();

        if (!IsName(options.Name))
        {
            failures.Add($"{section}:Name must be 1 to {MaxNameLength} characters from [a-z0-9_], starting with a letter.");
        }

        if (!IsPrefix(options.Prefix))
        {
            failures.Add($"{section}:Prefix must be 1 to {MaxPrefixLength} characters from [a-z0-9_].");
        }

        CheckSpan(failures, section, "IdleTimeout", options.IdleTimeout, TimeSpan.Zero);
        CheckSpan(failures, section, "MaxLifetime", options.MaxLifetime, TimeSpan.Zero);
        CheckSpan(failures, section, "LedgerRetention", options.LedgerRetention, TimeSpan.Zero);
        if (options.SweepInterval < TimeSpan.FromMilliseconds(1) || options.SweepInterval > TimeSpan.FromDays(1))
        {
            failures.Add($"{section}:SweepInterval must be between 00:00:00.001 and 1.00:00:00.");
        }

        if (options.IdleTimeout == TimeSpan.Zero && options.MaxLifetime == TimeSpan.Zero)
        {
            failures.Add($"{section}:IdleTimeout may be 00:00:00 only when {section}:MaxLifetime is set: every handle needs a bounded life.");
        }

        CheckCount(failures, section, "MaxHandles", options.MaxHandles);
        CheckCount(failures, section, "MaxHandlesPerOwner", options.MaxHandlesPerOwner);
        CheckCount(failures, section, "MaxLedgerEntries", options.MaxLedgerEntries);

        if (options.CreateToolName is { } tool && (tool.Length is 0 or > 128 || tool.AsSpan().ContainsAnyExceptInRange('!', '~')))
        {
            failures.Add($"{section}:CreateToolName must be 1 to 128 visible ASCII characters when set.");
        }

        if (options.PluralName is { } plural && (plural.Length is 0 or > 64 || string.IsNullOrWhiteSpace(plural)))
        {
            failures.Add($"{section}:PluralName must be 1 to 64 characters when set.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckSpan(List<string> failures, string section, string key, TimeSpan value, TimeSpan min)
    {
        if (value < min || value > MaxSpan)
        {
            failures.Add($"{section}:{key} must be between {min} and {MaxSpan}.");
        }
    }

    private static void CheckCount(List<string> failures, string section, string key, int value)
    {
        if (value is < 1 or > MaxCount)
        {
            failures.Add($"{section}:{key} must be between 1 and {MaxCount}.");
        }
    }

    private static bool IsName(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxNameLength || value[0] is not (>= 'a' and <= 'z'))
        {
            return false;
        }

        return IsLowerToken(value);
    }

    private static bool IsPrefix(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= MaxPrefixLength && IsLowerToken(value);

    private static bool IsLowerToken(string value)
    {
        foreach (char c in value)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
