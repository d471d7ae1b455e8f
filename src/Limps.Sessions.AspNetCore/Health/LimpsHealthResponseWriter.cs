using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// A health response writer that shows what the checks report: ASP.NET Core's default writer prints only the overall
/// status (<c>Healthy</c>), so the live and ledger counts of the Limps checks would stay invisible.
/// </summary>
/// <example>
/// <code>
/// app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = LimpsHealthResponseWriter.WriteJsonAsync });
/// </code>
/// </example>
public static class LimpsHealthResponseWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    /// <summary>
    /// Writes the report as <c>application/json</c>: the overall status, then each check's status, description and
    /// data, for example
    /// <c>{"status":"Healthy","checks":{"limps-sessions":{"status":"Healthy","description":"2 of 10000 sessions live; 1 tombstones.","data":{"activeSessions":2,...}}}}</c>.
    /// Exceptions are not written (their messages may carry what a health endpoint should not show); the status says a
    /// check failed and the logs say why.
    /// </summary>
    /// <param name="context">The request's context.</param>
    /// <param name="report">The report to write.</param>
    /// <returns>A task that completes when the body is written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> or <paramref name="report"/> is <see langword="null"/>.</exception>
    public static async Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body, WriterOptions);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach ((string name, HealthReportEntry entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            if (entry.Description is not null)
            {
                json.WriteString("description", entry.Description);
            }

            if (entry.Data.Count > 0)
            {
                json.WriteStartObject("data");
                foreach ((string key, object value) in entry.Data)
                {
                    WriteValue(json, key, value);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(key);
                break;
            case bool flag:
                json.WriteBoolean(key, flag);
                break;
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                json.WriteNumber(key, Convert.ToDecimal(value, CultureInfo.InvariantCulture));
                break;
            case double or float or decimal:
                json.WriteNumber(key, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
