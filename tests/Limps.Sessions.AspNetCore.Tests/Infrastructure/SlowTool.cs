using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Server;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>A test-only MCP tool, <c>slow</c>, that takes a few milliseconds (long enough for a DELETE to race it).</summary>
[McpServerToolType]
public sealed class SlowTools
{
    public const string Result = "slow call done";

    public static void Install(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMcpServer().WithTools<SlowTools>();
    }

    private static readonly ConcurrentDictionary<int, TaskCompletionSource> Running = new();

    public static string CallBody(int race, int id = 9) =>
        TestHost.JsonRpc("tools/call", id, new { name = "slow", arguments = new { race } });

    /// <summary>Completes once the call tagged <paramref name="race"/> runs on the server.</summary>
    public static Task EnteredAsync(int race) => Signal(race).Task;

    [McpServerTool(Name = "slow"), System.ComponentModel.Description("Waits a few milliseconds, then answers.")]
    public static async Task<string> Slow(int race, CancellationToken cancellationToken)
    {
        Signal(race).TrySetResult();
        await Task.Delay(Random.Shared.Next(1, 20), cancellationToken);
        return Result;
    }

    private static TaskCompletionSource Signal(int race) =>
        Running.GetOrAdd(race, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
