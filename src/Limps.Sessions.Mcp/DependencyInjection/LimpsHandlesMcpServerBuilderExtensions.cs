using Limps.Sessions;
using Limps.Sessions.Mcp;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Turns state-handle errors into MCP tool results.</summary>
public static class LimpsHandlesMcpServerBuilderExtensions
{
    /// <summary>
    /// Adds the call-tool filter that answers a <see cref="HandleUnavailableException"/> thrown by any tool (an expired,
    /// unknown, foreign or malformed handle) with the tool result of design §8: <c>isError: true</c>, a text that tells
    /// the model what happened and which tool starts a new one, and <c>structuredContent</c> with the code, kind,
    /// handle and, for an ended handle, the reason and instant. Tool code only calls the store and never formats an
    /// error. <c>WithLimpsSessions()</c> calls it already; call it yourself on a server without Limps sessions. Calling
    /// it again adds nothing.
    /// </summary>
    /// <param name="builder">The MCP server builder.</param>
    /// <returns>The same builder.</returns>
    /// <example>
    /// <code>
    /// builder.Services.AddMcpServer().WithHttpTransport().WithLimpsHandleErrors().WithTools&lt;BasketTools&gt;();
    /// </code>
    /// </example>
    public static IMcpServerBuilder WithLimpsHandleErrors(this IMcpServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(d => d.ServiceType == typeof(HandleErrorsMarker)))
        {
            return builder;
        }

        builder.Services.AddSingleton<HandleErrorsMarker>();
        return builder.WithRequestFilters(filters => filters.AddCallToolFilter(HandleErrorFilter.Create));
    }

    private sealed class HandleErrorsMarker;
}
