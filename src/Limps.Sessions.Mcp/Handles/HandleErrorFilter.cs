using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Limps.Sessions.Mcp;

/// <summary>
/// The call-tool filter that turns a <see cref="HandleUnavailableException"/> thrown by any tool into the tool result of
/// design §8: <c>isError: true</c>, the text for the model as the only content block, and the structured answer for
/// programs as <c>structuredContent</c>. Without it the SDK would answer "An error occurred invoking '...'", which
/// tells the model nothing it can act on. A <see cref="HandleCapacityExceededException"/> of a kind becomes an error
/// result with its message. Other exceptions pass through to the SDK untouched.
/// </summary>
internal static class HandleErrorFilter
{
    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Create(
        McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (request, cancellationToken) =>
        {
            try
            {
                return await next(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HandleUnavailableException ex)
            {
                return ToResult(ex);
            }
            catch (HandleCapacityExceededException ex) when (ex.Kind is not null)
            {
                // The model can act on this one too (end a handle, or try later); the message names no handle.
                return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = ex.Message }] };
            }
        };

    public static CallToolResult ToResult(HandleUnavailableException exception) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = exception.ToolResultText }],
        StructuredContent = JsonElement.Parse(exception.StructuredContent),
    };
}
