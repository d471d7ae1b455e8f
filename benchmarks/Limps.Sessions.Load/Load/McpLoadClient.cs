using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Limps.Sessions.Load.Load;

/// <summary>
/// One closed-loop MCP client on its own connection and its own session: <c>initialize</c>, then
/// <c>notifications/initialized</c>, then <c>tools/call</c> of <c>echo</c> (or, for the handle variants, of
/// <c>get_basket</c> on a basket it created once with <c>create_basket</c>), one at a time, as fast as answers come.
/// Raw <see cref="HttpClient"/> on a <see cref="SocketsHttpHandler"/>, so the client costs the same for every variant.
/// </summary>
internal sealed class McpLoadClient : IDisposable
{
    public const string SessionHeader = "Mcp-Session-Id";
    private const string ProtocolVersion = "2025-11-25"; // also in InitializeBody
    private const string EchoText = "limps-load-echo"; // also in CallBody

    private static readonly byte[] InitializeBody = Encoding.UTF8.GetBytes(
        """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"limps-load","version":"1"}}}""");

    private static readonly byte[] InitializedBody = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");

    private static readonly byte[] CallBody = Encoding.UTF8.GetBytes(
        """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"message":"limps-load-echo"}}}""");

    private static readonly byte[] CreateBasketBody = Encoding.UTF8.GetBytes(
        """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"create_basket","arguments":{}}}""");

    private readonly HttpClient _http;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private byte[] _callBody = CallBody;

    private McpLoadClient(HttpClient http, string sessionId)
    {
        _http = http;
        SessionId = sessionId;
    }

    public string SessionId { get; }

    /// <summary>Opens a session the way an MCP client does and checks that <c>echo</c> answers on it.</summary>
    public static async Task<McpLoadClient> ConnectAsync(Uri host, string tool, CancellationToken cancellationToken)
    {
        var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = 1,
        })
        {
            BaseAddress = host,
            Timeout = TimeSpan.FromSeconds(30),
        };
        try
        {
            string sessionId;
            using (HttpResponseMessage init = await http.SendAsync(Request(null, InitializeBody), cancellationToken).ConfigureAwait(false))
            {
                string body = await init.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (!init.IsSuccessStatusCode || !init.Headers.TryGetValues(SessionHeader, out IEnumerable<string>? ids))
                {
                    throw new InvalidOperationException($"initialize answered {(int)init.StatusCode} without a session: {body}");
                }

                sessionId = ids.Single();
            }

            using (HttpResponseMessage initialized = await http.SendAsync(Request(sessionId, InitializedBody), cancellationToken).ConfigureAwait(false))
            {
                if (!initialized.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"notifications/initialized answered {(int)initialized.StatusCode}.");
                }
            }

            var client = new McpLoadClient(http, sessionId);
            if (tool != "echo")
            {
                await client.UseNewBasketAsync(tool, cancellationToken).ConfigureAwait(false);
                return client;
            }

            string echo = await client.CallOnceAsync(cancellationToken).ConfigureAwait(false);
            if (!echo.Contains(EchoText, StringComparison.Ordinal) || echo.Contains("\"isError\":true", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"tools/call echo did not echo: {echo}");
            }

            return client;
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Calls <c>echo</c> in a closed loop until the deadline passes or <paramref name="latencies"/> is full, recording
    /// each call's latency in <see cref="Stopwatch"/> ticks. Returns how many calls succeeded and failed.
    /// </summary>
    public async Task<(int Succeeded, int Failed)> RunAsync(long deadlineTimestamp, long[] latencies, CancellationToken cancellationToken)
    {
        int succeeded = 0;
        int failed = 0;
        while (succeeded + failed < latencies.Length && Stopwatch.GetTimestamp() < deadlineTimestamp)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long started = Stopwatch.GetTimestamp();
            bool ok = await CallAsync(cancellationToken).ConfigureAwait(false);
            latencies[succeeded + failed] = Stopwatch.GetTimestamp() - started;
            if (ok)
            {
                succeeded++;
            }
            else
            {
                failed++;
            }
        }

        return (succeeded, failed);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Says whether the host's baskets are Limps handles: Limps answers a malformed basket id with its own
    /// <c>HANDLE_INVALID</c> result; the hand-written baskets answer a generic error.
    /// </summary>
    public async Task<bool> AnswersBasketErrorsWithLimpsAsync(CancellationToken cancellationToken)
    {
        byte[] body = Encoding.UTF8.GetBytes(
            """{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get_basket","arguments":{"basket_id":"bsk_limps-load-unknown"}}}""");
        string answer = await SendOnceAsync(body, cancellationToken).ConfigureAwait(false);
        return answer.Contains("HANDLE_INVALID", StringComparison.Ordinal);
    }

    private static HttpRequestMessage Request(string? sessionId, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        if (sessionId is not null)
        {
            request.Headers.TryAddWithoutValidation(SessionHeader, sessionId);
            request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", ProtocolVersion);
        }

        return request;
    }

    private Task<string> CallOnceAsync(CancellationToken cancellationToken) => SendOnceAsync(_callBody, cancellationToken);

    // create_basket once, then the loop's call on that basket; checks that both answer without a tool error.
    private async Task UseNewBasketAsync(string tool, CancellationToken cancellationToken)
    {
        string created = await SendOnceAsync(CreateBasketBody, cancellationToken).ConfigureAwait(false);
        Match id = Regex.Match(created, "\"basket_id\":\"(bsk_[A-Za-z0-9_-]+)\"");
        if (!id.Success || created.Contains("\"isError\":true", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"tools/call create_basket did not create a basket: {created}");
        }

        string basket = id.Groups[1].Value;
        _callBody = Encoding.UTF8.GetBytes(
            $"{{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{{\"name\":\"{tool}\",\"arguments\":{{\"basket_id\":\"{basket}\"}}}}}}");
        string used = await CallOnceAsync(cancellationToken).ConfigureAwait(false);
        if (!used.Contains(basket, StringComparison.Ordinal) || used.Contains("\"isError\":true", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"tools/call {tool} did not answer with the basket: {used}");
        }
    }

    private async Task<string> SendOnceAsync(byte[] request, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _http.SendAsync(Request(SessionId, request), cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? body : $"{(int)response.StatusCode}: {body}";
    }

    // Reads the whole answer (an SSE event or JSON) into a reused buffer: the client's own cost stays the same
    // for every variant and small next to the server's.
    private async Task<bool> CallAsync(CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _http
            .SendAsync(Request(SessionId, _callBody), HttpCompletionOption.ResponseHeadersRead, cancellationToken)
            .ConfigureAwait(false);
        Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            while (await body.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }

        return response.StatusCode == HttpStatusCode.OK;
    }
}
