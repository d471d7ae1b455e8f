using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Server;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A test-only MCP tool, <c>gated</c>, that runs until the test opens its gate: a request kept in flight for as long as
/// a test needs, without any wall-clock wait.
/// </summary>
public sealed class ToolGate
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a call of the tool has started running on the server.</summary>
    public Task Entered => _entered.Task;

    public Task Opened => _open.Task;

    public void Open() => _open.TrySetResult();

    internal void Enter() => _entered.TrySetResult();

    /// <summary>Adds the gate and the tool to a host (pass as <c>TestHost.StartAsync(configure: ...)</c>).</summary>
    public void Install(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(this);

        // AddMcpServer is idempotent; calling it again returns a builder on the same server to add one more tool type.
        builder.Services.AddMcpServer().WithTools<GatedTools>();
    }

    public static string CallBody(int id = 7) =>
        TestHost.JsonRpc("tools/call", id, new { name = "gated", arguments = new { } });
}

/// <summary>The tool behind <see cref="ToolGate"/>.</summary>
[McpServerToolType]
public sealed class GatedTools(ToolGate gate)
{
    [McpServerTool(Name = "gated"), System.ComponentModel.Description("Waits until the test opens the gate, then answers 'done'.")]
    public async Task<string> Gated(CancellationToken cancellationToken)
    {
        gate.Enter();
        await gate.Opened.WaitAsync(cancellationToken);
        return "done";
    }
}
