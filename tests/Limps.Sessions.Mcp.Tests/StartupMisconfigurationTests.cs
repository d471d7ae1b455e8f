using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Limps.Sessions.SampleHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using ModelContextProtocol.AspNetCore;

namespace Limps.Sessions.Mcp.Tests;

/// <summary>
/// Issue 12.6: a set-up that would make Limps a silent no-op, or worse, is loud when the host starts. Each test builds
/// and starts a real Kestrel host.
/// </summary>
[CancelAfter(60_000)]
public class StartupMisconfigurationTests
{
    [Test]
    public async Task A_Limps_check_on_an_MCP_endpoint_of_a_server_without_the_Limps_integration_warns_what_to_write()
    {
        // The SDK's default session mode is Stateless: no session id is ever issued, so the check would see nothing.
        WebApplicationBuilder builder = Builder();
        builder.Services.AddMcpServer().WithHttpTransport().WithTools<SampleHost.Tools.SampleTools>();
        builder.Services.AddLimpsSessions();
        await using WebApplication app = builder.Build();
        app.MapMcp("/mcp").WithLimpsSessions();

        await app.StartAsync();
        await app.StopAsync();

        FakeLogRecord warning = Warnings(app).Should().ContainSingle(r => r.Id.Name == "McpServerWithoutIntegration").Subject;
        warning.Message.Should().Contain("/mcp").And.Contain("AddMcpServer().WithHttpTransport().WithLimpsSessions()")
            .And.Contain("StatefulForInitializeClients");
    }

    [Test]
    public async Task A_session_mode_set_back_to_Stateless_after_WithLimpsSessions_warns_what_to_write()
    {
        WebApplicationBuilder builder = Builder();
        builder.Services.AddMcpServer().WithHttpTransport().WithLimpsSessions().WithTools<SampleHost.Tools.SampleTools>();
        builder.Services.PostConfigure<HttpServerTransportOptions>(t => t.SessionMode = HttpServerSessionMode.Stateless);
        await using WebApplication app = builder.Build();
        app.MapMcp("/mcp").WithLimpsSessions();

        await app.StartAsync();
        await app.StopAsync();

        Warnings(app).Should().ContainSingle(r => r.Id.Name == "StatelessUnderCheck")
            .Which.Message.Should().Contain("StatefulForInitializeClients");
    }

    [Test]
    public async Task An_MCP_endpoint_without_the_check_while_the_SDK_idle_timeout_is_off_warns_what_to_write()
    {
        WebApplication app = SampleHostApp.Create(
            ["--urls", "http://127.0.0.1:0", $"--{SampleHostApp.SessionCheckKey}=false"],
            b => b.Logging.ClearProviders().AddFakeLogging());
        await using (app)
        {
            await app.StartAsync();
            await app.StopAsync();

            Warnings(app).Should().ContainSingle(r => r.Id.Name == "EndpointWithoutCheck")
                .Which.Message.Should().Contain("app.MapMcp(\"/mcp\").WithLimpsSessions()");
        }
    }

    [Test]
    public async Task A_correct_set_up_starts_without_a_Limps_warning()
    {
        WebApplication app = SampleHostApp.Create(["--urls", "http://127.0.0.1:0"], b => b.Logging.ClearProviders().AddFakeLogging());
        await using (app)
        {
            await app.StartAsync();
            await app.StopAsync();

            Warnings(app).Where(r => r.Category?.StartsWith("Limps", StringComparison.Ordinal) == true).Should().BeEmpty();
        }
    }

    [Test]
    public void WithLimpsSessions_on_an_endpoint_without_AddLimpsSessions_fails_at_start_up_naming_what_to_write()
    {
        WebApplicationBuilder builder = Builder();
        builder.Services.AddMcpServer().WithHttpTransport(t => t.SessionMode = HttpServerSessionMode.StatefulForInitializeClients);
        using WebApplication app = builder.Build();

        Action map = () => app.MapMcp("/mcp").WithLimpsSessions();

        map.Should().Throw<InvalidOperationException>().WithMessage("*services.AddLimpsSessions()*");
    }

    [Test]
    public async Task A_misspelled_key_under_Limps_Sessions_fails_start_up_naming_the_key()
    {
        // Options are read (and checked) when the host starts; the host never serves.
        Func<Task> start = async () =>
        {
            WebApplication app = SampleHostApp.Create(
                ["--urls", "http://127.0.0.1:0", "--Limps:Sessions:IdelTimeout=00:05:00"],
                b => b.Logging.ClearProviders().AddFakeLogging());
            await using (app)
            {
                await app.StartAsync();
            }
        };

        (await start.Should().ThrowAsync<Exception>()).Which.ToString().Should().Contain("Limps:Sessions:IdelTimeout");
    }

    [Test]
    public async Task Known_keys_in_any_case_and_sub_sections_of_other_packages_are_accepted()
    {
        WebApplication app = SampleHostApp.Create(
            ["--urls", "http://127.0.0.1:0", "--Limps:Sessions:idletimeout=00:05:00", "--Limps:Sessions:ReleaseDrainTimeout=00:00:02",
                "--Limps:Sessions:Redis:KeyPrefix=x"],
            b => b.Logging.ClearProviders().AddFakeLogging());
        await using (app)
        {
            await app.StartAsync();
            await app.StopAsync();
        }
    }

    private static WebApplicationBuilder Builder()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddFakeLogging();
        return builder;
    }

    private static IEnumerable<FakeLogRecord> Warnings(WebApplication app) =>
        app.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Level >= LogLevel.Warning);
}
