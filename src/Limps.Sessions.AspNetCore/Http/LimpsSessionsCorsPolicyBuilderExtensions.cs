using Limps.Sessions.AspNetCore;

namespace Microsoft.AspNetCore.Cors.Infrastructure;

/// <summary>CORS support for browser MCP clients.</summary>
public static class LimpsSessionsCorsPolicyBuilderExtensions
{
    /// <summary>
    /// Lets browser clients read <c>Mcp-Session-Id</c>, <c>X-Session-Expired</c> and <c>X-Session-Expired-Reason</c>
    /// (adds them to <c>Access-Control-Expose-Headers</c>, keeping any already exposed).
    /// </summary>
    /// <param name="builder">The CORS policy builder.</param>
    /// <returns>The same builder.</returns>
    /// <example>
    /// <code>services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins("https://app.example").AllowAnyHeader().WithLimpsSessionHeaders()));</code>
    /// </example>
    public static CorsPolicyBuilder WithLimpsSessionHeaders(this CorsPolicyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithExposedHeaders([.. SessionHeaders.Exposed]);
    }
}
