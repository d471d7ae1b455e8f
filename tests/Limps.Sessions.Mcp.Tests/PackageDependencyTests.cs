using System.Reflection;
using Limps.Sessions.AspNetCore;
using Limps.Sessions.Client;
using Limps.Sessions.Redis;

namespace Limps.Sessions.Mcp.Tests;

/// <summary>
/// The packages depend one way (core ← AspNetCore ← Mcp; core ← Redis; Client alone), read from the compiled
/// assemblies' references: a store never needs ASP.NET Core or the MCP SDK, the HTTP adapter never needs the SDK.
/// </summary>
public class PackageDependencyTests
{
    [Test]
    public void Each_library_references_only_what_its_place_in_the_graph_allows()
    {
        References(typeof(SessionId)).Should().NotContain(n =>
            n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || n.StartsWith("ModelContextProtocol", StringComparison.Ordinal)
            || n.StartsWith("Limps.", StringComparison.Ordinal) || n.StartsWith("StackExchange", StringComparison.Ordinal));

        IReadOnlyList<string> redis = References(typeof(RedisSessionRegistry));
        redis.Should().Contain("Limps.Sessions").And.Contain("StackExchange.Redis");
        redis.Should().NotContain(n =>
            n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || n.StartsWith("ModelContextProtocol", StringComparison.Ordinal)
            || n == "Limps.Sessions.AspNetCore" || n == "Limps.Sessions.Mcp");

        IReadOnlyList<string> http = References(typeof(SessionHeaders));
        http.Should().Contain("Limps.Sessions");
        http.Should().NotContain(n => n.StartsWith("ModelContextProtocol", StringComparison.Ordinal) || n == "Limps.Sessions.Mcp");

        References(typeof(McpSessionMigrationHandler)).Should().Contain(["Limps.Sessions", "Limps.Sessions.AspNetCore", "ModelContextProtocol.AspNetCore"]);

        References(typeof(SessionRecoveryHandler)).Should().NotContain(n => n.StartsWith("Limps.", StringComparison.Ordinal));
    }

    private static IReadOnlyList<string> References(Type inAssembly) =>
        [.. inAssembly.Assembly.GetReferencedAssemblies().Select((AssemblyName a) => a.Name ?? string.Empty)];
}
