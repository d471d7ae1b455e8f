using System.Net;
using System.Text.Json;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>Assertions on the adapter's answers.</summary>
public static class Responses
{
    public const string NotFoundBody =
        """{"error":"Session not found","code":"SESSION_NOT_FOUND","message":"Session ID not recognized. It may have been invalid or the server was restarted."}""";

    public static string ExpiredBody(string reason, string expiredAt) =>
        $$"""{"error":"Session expired","code":"SESSION_EXPIRED","message":"Session expired due to {{reason}}. Please reconnect without session ID.","expiredAt":"{{expiredAt}}","reason":"{{reason}}"}""";

    public static async Task ShouldBeNotFoundAsync(this HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        response.Headers.Contains(SessionHeaders.Expired).Should().BeFalse();
        response.Headers.Contains(SessionHeaders.ExpiredReason).Should().BeFalse();
        (await response.Content.ReadAsStringAsync()).Should().Be(NotFoundBody);
    }

    public static async Task ShouldBeExpiredAsync(this HttpResponseMessage response, string reason, string expiredAt)
    {
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        response.Headers.GetValues(SessionHeaders.Expired).Should().Equal("true");
        response.Headers.GetValues(SessionHeaders.ExpiredReason).Should().Equal(reason);
        (await response.Content.ReadAsStringAsync()).Should().Be(ExpiredBody(reason, expiredAt));
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>Reads the JSON-RPC message out of an MCP response, whether it came as JSON or as one SSE event.</summary>
    public static async Task<JsonElement> McpMessageAsync(this HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        string json = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? text.Split('\n').First(line => line.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]
            : text;
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
