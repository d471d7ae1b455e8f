using Limps.Sessions.Redis.Tests.Infrastructure;
using StackExchange.Redis;

namespace Limps.Sessions.Redis.Tests;

/// <summary>
/// Starts one redis-server for the whole assembly before any test and stops it (by PID) after the last. Without
/// redis-server every test of this assembly fails with a message that says how to install it: CI installs it, so a
/// missing server is a broken set-up, not a reason to skip.
/// </summary>
[SetUpFixture]
public sealed class RedisTestServer
{
    private static RedisServerProcess? _server;
    private static ConnectionMultiplexer? _connection;

    public static RedisServerProcess Server => _server ?? throw new InvalidOperationException("The Redis test server is not running.");

    /// <summary>A connection to the shared test server, as a host would open one.</summary>
    public static ConnectionMultiplexer Connection =>
        _connection ?? throw new InvalidOperationException("The Redis test server is not running.");

    /// <summary>A key prefix no other test uses, so tests share the server without seeing each other's keys.</summary>
    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..12] + ":";

    public static ConnectionMultiplexer Connect(string endpoint)
    {
        var options = ConfigurationOptions.Parse(endpoint);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = 2_000;
        options.ConnectRetry = 1;
        options.ReconnectRetryPolicy = new LinearRetry(100);
        return ConnectionMultiplexer.Connect(options);
    }

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await RedisServerProcess.StartAsync();
        _connection = Connect(_server.Endpoint);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }
    }
}
