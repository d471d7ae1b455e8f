using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Limps.Sessions.Soak;

/// <summary>
/// Drives a running sample host for a bounded time with many concurrent MCP clients (initialize, tool calls, DELETE,
/// idling out, GET streams held past the idle timeout) plus streams of malformed and unknown session ids, checks every
/// answer, and prints a summary table. Exit code 0 when every check held. Started by tests/soak/run.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        SoakOptions options;
        try
        {
            options = SoakOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            await Console.Error.WriteLineAsync(SoakOptions.Usage);
            return 2;
        }

        using var soak = new Soak(options);
        return await soak.RunAsync();
    }
}

/// <summary>Command-line options of the driver.</summary>
internal sealed record SoakOptions(Uri Url, int Seconds, int Clients, int MalformedWorkers, int UnknownWorkers, int IdleSeconds)
{
    public const string Usage =
        "usage: Limps.Sessions.Soak --url http://127.0.0.1:PORT [--seconds 60] [--clients 48] [--malformed 2] [--unknown 2] [--idle-seconds 3]";

    public static SoakOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            }

            values[args[i][2..]] = args[i + 1];
        }

        if (!values.TryGetValue("url", out string? url) || !Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || !uri.IsLoopback)
        {
            throw new ArgumentException("--url must be a loopback address, for example http://127.0.0.1:5080.");
        }

        int Number(string name, int fallback, int min) =>
            values.TryGetValue(name, out string? text)
                ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min
                    ? n
                    : throw new ArgumentException($"--{name} must be a whole number of at least {min}.")
                : fallback;

        return new SoakOptions(
            uri,
            Number("seconds", 60, 1),
            Number("clients", 48, 1),
            Number("malformed", 2, 0),
            Number("unknown", 2, 0),
            Number("idle-seconds", 3, 1));
    }
}

/// <summary>Counts, samples of what went wrong, and latencies; safe for concurrent use.</summary>
internal sealed class Tally
{
    private const int MaxSamples = 12;
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly ConcurrentBag<double> _callMilliseconds = [];
    private long _requests;

    public long Requests => Interlocked.Read(ref _requests);

    public IEnumerable<string> Problems => _problems;

    public long this[string name] => _counts.GetValueOrDefault(name);

    public void Count(string name) => _counts.AddOrUpdate(name, 1, (_, n) => n + 1);

    public void Request() => Interlocked.Increment(ref _requests);

    public void CallTook(TimeSpan elapsed) => _callMilliseconds.Add(elapsed.TotalMilliseconds);

    public double CallPercentile(double p)
    {
        double[] sorted = [.. _callMilliseconds.Order()];
        return sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    /// <summary>Records a failed check (and a sample of it).</summary>
    public void Problem(string kind, string detail)
    {
        Count(kind);
        if (_problems.Count < MaxSamples)
        {
            _problems.Enqueue($"{kind}: {detail}");
        }
    }
}

/// <summary>The soak itself.</summary>
internal sealed class Soak(SoakOptions options) : IDisposable
{
    // Names of the counters, as the summary prints them.
    private const string Created = "sessions created";
    private const string Calls = "tool calls answered";
    private const string DeletedChecked = "deleted, then answered expired/deleted";
    private const string TimeoutChecked = "idled out, then answered expired/timeout";
    private const string StreamsChecked = "streams held past the idle timeout";
    private const string MalformedChecked = "malformed ids answered 400";
    private const string UnknownChecked = "unknown ids answered 404 not found";
    private const string HealthChecked = "health checks answered";
    private const string ServerErrors = "5xx answers";
    private const string Unexpected = "unexpected answers";
    private const string TransportErrors = "transport errors";
    private const string Parked = "sessions left live for the shutdown";

    private const string ProtocolVersion = "2025-11-25";
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(1_500);

    // The malformed and unknown streams pause between requests so that they stay a stream (a few hundred a second
    // each) and leave the machine to the clients.
    private static readonly TimeSpan StreamPause = TimeSpan.FromMilliseconds(2);

    private readonly Tally _tally = new();
    private readonly ConcurrentBag<Task> _pendingChecks = [];
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 1_024,
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    {
        BaseAddress = options.Url,
        Timeout = TimeSpan.FromSeconds(30),
    };

    private TimeSpan Idle => TimeSpan.FromSeconds(options.IdleSeconds);

    public async Task<int> RunAsync()
    {
        if (!await IsHealthyAsync())
        {
            await Console.Error.WriteLineAsync($"The host at {options.Url} did not become healthy.");
            return 2;
        }

        var clock = Stopwatch.StartNew();
        DateTime deadline = DateTime.UtcNow.AddSeconds(options.Seconds);
        var workers = new List<Task>();
        workers.AddRange(Enumerable.Range(0, options.Clients).Select(i => Task.Run(() => ClientLoopAsync(i, deadline))));
        workers.AddRange(Enumerable.Range(0, options.MalformedWorkers).Select(i => Task.Run(() => MalformedLoopAsync(i, deadline))));
        workers.AddRange(Enumerable.Range(0, options.UnknownWorkers).Select(_ => Task.Run(() => UnknownLoopAsync(deadline))));
        workers.Add(Task.Run(() => HealthLoopAsync(deadline)));
        await Task.WhenAll(workers);

        // Sessions left to idle out near the end are checked once their deadline has passed.
        await Task.WhenAll(_pendingChecks);

        // A few sessions stay live, for the host's graceful shutdown to close (tests/soak/run checks its log).
        for (int i = 0; i < Math.Min(options.Clients, 20); i++)
        {
            await GuardAsync("park", async () =>
            {
                if (await InitializeAsync() is not null)
                {
                    _tally.Count(Parked);
                }
            });
        }

        clock.Stop();

        PrintSummary(clock.Elapsed);
        return Failed ? 1 : 0;
    }

    public void Dispose() => _http.Dispose();

    // Every session created ended in a checked way (DELETE or idle timeout, streams end with DELETE) or was parked.
    private long Accounted => _tally[DeletedChecked] + _tally[TimeoutChecked] + _tally[Parked];

    private bool Failed =>
        _tally[ServerErrors] + _tally[Unexpected] + _tally[TransportErrors] > 0
        || Accounted != _tally[Created]
        || _tally[Created] == 0 || _tally[Parked] == 0 || _tally[DeletedChecked] == 0 || _tally[TimeoutChecked] == 0 || _tally[StreamsChecked] == 0
        || (options.MalformedWorkers > 0 && _tally[MalformedChecked] == 0)
        || (options.UnknownWorkers > 0 && _tally[UnknownChecked] == 0);

    // The run script starts the driver only once the host logged "Now listening", so one health check is enough; the
    // driver does not poll (and does not wait on wall time) for a host that is not there.
    private async Task<bool> IsHealthyAsync()
    {
        try
        {
            using HttpResponseMessage response = await _http.GetAsync(new Uri("/health", UriKind.Relative));
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    // One simulated client: initialize, a few tool calls, then one of three ends, again and again.
    private async Task ClientLoopAsync(int client, DateTime deadline)
    {
        var random = new Random(client);
        int round = 0;
        while (DateTime.UtcNow < deadline)
        {
            round++;
            await GuardAsync("client", async () =>
            {
                string? id = await InitializeAsync();
                if (id is null)
                {
                    return;
                }

                DateTime lastSent = default;
                DateTime lastDone = default;
                int calls = random.Next(1, 5);
                for (int n = 0; n < calls; n++)
                {
                    lastSent = DateTime.UtcNow;
                    if (!await CallEchoAsync(id, $"client {client} round {round} call {n}"))
                    {
                        return;
                    }

                    lastDone = DateTime.UtcNow;
                }

                int roll = random.Next(100);
                if (roll < 50)
                {
                    await DeleteAndCheckAsync(id);
                }
                else if (roll < 94)
                {
                    // Left to idle out; asked about once its idle timeout has certainly passed.
                    _pendingChecks.Add(CheckTimedOutLaterAsync(id, lastSent, lastDone));
                }
                else
                {
                    await HoldStreamPastIdleAsync(id);
                }
            });
        }
    }

    private async Task GuardAsync(string what, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException or TaskCanceledException)
        {
            _tally.Problem(TransportErrors, $"{what}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string? id, string? body)
    {
        var request = new HttpRequestMessage(method, new Uri("/mcp", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (id is not null)
        {
            request.Headers.Add("Mcp-Session-Id", id);
            request.Headers.Add("MCP-Protocol-Version", ProtocolVersion);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return request;
    }

    private async Task<(HttpStatusCode Status, HttpResponseHeaders Headers, string Body)> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            _tally.Request();
            using HttpResponseMessage response = await _http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode >= 500)
            {
                _tally.Problem(ServerErrors, $"{request.Method} {(int)response.StatusCode} {Shorten(body)}");
            }

            return (response.StatusCode, response.Headers, body);
        }
    }

    private async Task<string?> InitializeAsync()
    {
        string body = JsonSerializer.Serialize(new
        {
            jsonrpc = "2.0",
            id = 1,
            method = "initialize",
            @params = new { protocolVersion = ProtocolVersion, capabilities = new { }, clientInfo = new { name = "limps-soak", version = "1" } },
        });
        (HttpStatusCode status, HttpResponseHeaders headers, string answer) = await SendAsync(Request(HttpMethod.Post, null, body));
        if (status != HttpStatusCode.OK || !headers.TryGetValues("Mcp-Session-Id", out IEnumerable<string>? ids))
        {
            _tally.Problem(Unexpected, $"initialize answered {(int)status} {Shorten(answer)}");
            return null;
        }

        string id = ids.Single();
        (HttpStatusCode initialized, _, string text) = await SendAsync(
            Request(HttpMethod.Post, id, """{"jsonrpc":"2.0","method":"notifications/initialized"}"""));
        if (initialized != HttpStatusCode.Accepted)
        {
            _tally.Problem(Unexpected, $"notifications/initialized answered {(int)initialized} {Shorten(text)}");
            return null;
        }

        _tally.Count(Created);
        return id;
    }

    private async Task<bool> CallEchoAsync(string id, string message)
    {
        string body = JsonSerializer.Serialize(new
        {
            jsonrpc = "2.0",
            id = 2,
            method = "tools/call",
            @params = new { name = "echo", arguments = new { message } },
        });
        var watch = Stopwatch.StartNew();
        (HttpStatusCode status, _, string answer) = await SendAsync(Request(HttpMethod.Post, id, body));
        _tally.CallTook(watch.Elapsed);
        if (status != HttpStatusCode.OK || !answer.Contains(JsonSerializer.Serialize(message), StringComparison.Ordinal))
        {
            _tally.Problem(Unexpected, $"tools/call on a live session answered {(int)status} {Shorten(answer)}");
            return false;
        }

        _tally.Count(Calls);
        return true;
    }

    private async Task DeleteAndCheckAsync(string id)
    {
        DateTime sent = DateTime.UtcNow;
        (HttpStatusCode status, _, string body) = await SendAsync(Request(HttpMethod.Delete, id, null));
        DateTime done = DateTime.UtcNow;
        if (status != HttpStatusCode.OK)
        {
            _tally.Problem(Unexpected, $"DELETE of a live session answered {(int)status} {Shorten(body)}");
            return;
        }

        if (await CheckExpiredAsync(id, "deleted", sent, done) && await CheckExpiredAsync(id, "deleted", sent, done, HttpMethod.Delete))
        {
            _tally.Count(DeletedChecked);
        }
    }

    private async Task CheckTimedOutLaterAsync(string id, DateTime lastSent, DateTime lastDone)
    {
        TimeSpan wait = lastDone + Idle + Slack - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        await GuardAsync("idle check", async () =>
        {
            if (await CheckExpiredAsync(id, "timeout", lastSent + Idle, lastDone + Idle))
            {
                _tally.Count(TimeoutChecked);
            }
        });
    }

    // The session answers 404 SESSION_EXPIRED with the reason, the headers, and an expiry instant within the window.
    private async Task<bool> CheckExpiredAsync(string id, string reason, DateTime earliest, DateTime latest, HttpMethod? method = null)
    {
        method ??= HttpMethod.Post;
        (HttpStatusCode status, HttpResponseHeaders headers, string body) = await SendAsync(
            Request(method, id, method == HttpMethod.Post ? """{"jsonrpc":"2.0","id":3,"method":"tools/list"}""" : null));
        string problem = status != HttpStatusCode.NotFound ? $"status {(int)status}"
            : !headers.TryGetValues("X-Session-Expired", out IEnumerable<string>? expired) || expired.Single() != "true" ? "no X-Session-Expired: true"
            : !headers.TryGetValues("X-Session-Expired-Reason", out IEnumerable<string>? reasons) || reasons.Single() != reason ? "wrong X-Session-Expired-Reason"
            : string.Empty;
        if (problem.Length == 0)
        {
            using JsonDocument document = JsonDocument.Parse(body);
            JsonElement root = document.RootElement;
            DateTime expiredAt = DateTime.Parse(root.GetProperty("expiredAt").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
            problem = root.GetProperty("code").GetString() != "SESSION_EXPIRED" ? "code is not SESSION_EXPIRED"
                : root.GetProperty("reason").GetString() != reason ? "body reason differs"
                : expiredAt < earliest.AddMilliseconds(-50) || expiredAt > latest.AddMilliseconds(500)
                    ? $"expiredAt {expiredAt:O} outside {earliest:O}..{latest:O}"
                : string.Empty;
        }

        if (problem.Length > 0)
        {
            _tally.Problem(Unexpected, $"{method} of a session ended as '{reason}': {problem}; {Shorten(body)}");
            return false;
        }

        return true;
    }

    // An open GET stream holds a lease: the session outlives its idle timeout while the stream is open.
    private async Task HoldStreamPastIdleAsync(string id)
    {
        using (HttpRequestMessage get = Request(HttpMethod.Get, id, null))
        {
            _tally.Request();
            using HttpResponseMessage stream = await _http.SendAsync(get, HttpCompletionOption.ResponseHeadersRead);
            if (stream.StatusCode != HttpStatusCode.OK)
            {
                _tally.Problem(Unexpected, $"GET stream answered {(int)stream.StatusCode}");
                return;
            }

            await Task.Delay(Idle + Slack);
        }

        if (await CallEchoAsync(id, "after the stream"))
        {
            _tally.Count(StreamsChecked);
            await DeleteAndCheckAsync(id);
        }
    }

    // Raw bytes over TCP: controls, spaces, non-ASCII, overlong values, empty values and repeated headers.
    private async Task MalformedLoopAsync(int worker, DateTime deadline)
    {
        var random = new Random(1_000 + worker);
        byte[] body = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":4,"method":"tools/list"}""");
        while (DateTime.UtcNow < deadline)
        {
            (string kind, byte[] head) = MalformedHeader(random);
            await GuardAsync("malformed", async () =>
            {
                int status = await PostRawAsync(head, body);
                if (status == 400)
                {
                    _tally.Count(MalformedChecked);
                }
                else if (status >= 500)
                {
                    _tally.Problem(ServerErrors, $"malformed id ({kind}) answered {status}");
                }
                else
                {
                    _tally.Problem(Unexpected, $"malformed id ({kind}) answered {status}");
                }
            });
            await Task.Delay(StreamPause);
        }
    }

    private static (string Kind, byte[] Header) MalformedHeader(Random random)
    {
        static byte[] Line(byte[] value) => [.. "Mcp-Session-Id: "u8, .. value, .. "\r\n"u8];
        byte[] Visible(int length)
        {
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i++)
            {
                bytes[i] = (byte)random.Next(0x21, 0x7F);
            }

            return bytes;
        }

        // Bytes that make an id invalid anywhere inside it: controls (not CR/LF), space, DEL, non-ASCII.
        byte[] bad = [.. Enumerable.Range(0, 0x20).Where(b => b is not 0x0A and not 0x0D).Select(b => (byte)b), 0x20, 0x7F, 0x80, 0xC3, 0xA9, 0xFF];
        return random.Next(6) switch
        {
            0 => ("control, space or non-ASCII", Line([.. Visible(random.Next(1, 20)), bad[random.Next(bad.Length)], .. Visible(random.Next(1, 20))])),
            1 => ("more than 128 characters", Line(Visible(random.Next(129, 2_000)))),
            2 => ("empty", Line([])),
            3 => ("repeated header", [.. Line(Visible(22)), .. Line(Visible(22))]),
            4 => ("UTF-8 text", Line(Encoding.UTF8.GetBytes($"caf\u00e9-{random.Next()}"))),
            _ => ("comma and space", Line(Encoding.ASCII.GetBytes($"{random.Next()}, {random.Next()}"))),
        };
    }

    private async Task<int> PostRawAsync(byte[] headerLines, byte[] body)
    {
        _tally.Request();
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync(options.Url.Host, options.Url.Port, timeout.Token);
        NetworkStream stream = client.GetStream();
        byte[] head = Encoding.ASCII.GetBytes(
            $"POST /mcp HTTP/1.1\r\nHost: {options.Url.Authority}\r\nAccept: application/json, text/event-stream\r\n"
            + $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n");
        await stream.WriteAsync((byte[])[.. head, .. headerLines, .. "\r\n"u8, .. body], timeout.Token);

        var line = new StringBuilder();
        byte[] one = new byte[1];
        while (await stream.ReadAsync(one, timeout.Token) == 1 && one[0] != (byte)'\n')
        {
            line.Append((char)one[0]);
        }

        string[] parts = line.ToString().Split(' ', 3);
        return parts.Length >= 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status)
            ? status
            : throw new IOException($"No HTTP status line: '{line}'.");
    }

    private async Task UnknownLoopAsync(DateTime deadline)
    {
        while (DateTime.UtcNow < deadline)
        {
            string id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            await GuardAsync("unknown", async () =>
            {
                (HttpStatusCode status, HttpResponseHeaders headers, string body) = await SendAsync(
                    Request(HttpMethod.Post, id, """{"jsonrpc":"2.0","id":5,"method":"tools/list"}"""));
                if (status == HttpStatusCode.NotFound && !headers.Contains("X-Session-Expired")
                    && body.Contains("\"code\":\"SESSION_NOT_FOUND\"", StringComparison.Ordinal))
                {
                    _tally.Count(UnknownChecked);
                }
                else
                {
                    _tally.Problem(Unexpected, $"unknown id answered {(int)status} {Shorten(body)}");
                }
            });
            await Task.Delay(StreamPause);
        }
    }

    private async Task HealthLoopAsync(DateTime deadline)
    {
        while (DateTime.UtcNow < deadline)
        {
            await GuardAsync("health", async () =>
            {
                _tally.Request();
                using HttpResponseMessage response = await _http.GetAsync(new Uri("/health", UriKind.Relative));
                string body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK && body.StartsWith("{\"status\":\"Healthy\"", StringComparison.Ordinal))
                {
                    _tally.Count(HealthChecked);
                }
                else
                {
                    _tally.Problem((int)response.StatusCode >= 500 ? ServerErrors : Unexpected, $"health answered {(int)response.StatusCode} {body}");
                }
            });
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";

    private void PrintSummary(TimeSpan elapsed)
    {
        static string Row(string check, string value, bool ok) => $"| {check,-52} | {value,14} | {(ok ? "ok" : "FAIL"),-4} |";
        bool Positive(string name) => _tally[name] > 0;
        var lines = new List<string>
        {
            Row("check", "count", true).Replace("| ok ", "|    ", StringComparison.Ordinal),
            $"|{new string('-', 54)}|{new string('-', 16)}|------|",
            Row(Created, _tally[Created].ToString("N0", CultureInfo.InvariantCulture), Positive(Created)),
            Row(Calls + " 200 with the echo", _tally[Calls].ToString("N0", CultureInfo.InvariantCulture), Positive(Calls)),
            Row(DeletedChecked, _tally[DeletedChecked].ToString("N0", CultureInfo.InvariantCulture), Positive(DeletedChecked)),
            Row(TimeoutChecked, _tally[TimeoutChecked].ToString("N0", CultureInfo.InvariantCulture), Positive(TimeoutChecked)),
            Row(StreamsChecked + ", then live", _tally[StreamsChecked].ToString("N0", CultureInfo.InvariantCulture), Positive(StreamsChecked)),
            Row(MalformedChecked, _tally[MalformedChecked].ToString("N0", CultureInfo.InvariantCulture), options.MalformedWorkers == 0 || Positive(MalformedChecked)),
            Row(UnknownChecked, _tally[UnknownChecked].ToString("N0", CultureInfo.InvariantCulture), options.UnknownWorkers == 0 || Positive(UnknownChecked)),
            Row(HealthChecked + " Healthy", _tally[HealthChecked].ToString("N0", CultureInfo.InvariantCulture), true),
            Row(ServerErrors, _tally[ServerErrors].ToString("N0", CultureInfo.InvariantCulture), _tally[ServerErrors] == 0),
            Row(Unexpected, _tally[Unexpected].ToString("N0", CultureInfo.InvariantCulture), _tally[Unexpected] == 0),
            Row(TransportErrors, _tally[TransportErrors].ToString("N0", CultureInfo.InvariantCulture), _tally[TransportErrors] == 0),
            Row(Parked, _tally[Parked].ToString("N0", CultureInfo.InvariantCulture), Positive(Parked)),
            Row(
                "sessions accounted for (checked end or parked)",
                string.Create(CultureInfo.InvariantCulture, $"{Accounted:N0} of {_tally[Created]:N0}"),
                Accounted == _tally[Created]),
            Row("requests sent", _tally.Requests.ToString("N0", CultureInfo.InvariantCulture), true),
            Row("requests per second", (_tally.Requests / elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture), true),
            Row(
                "tool call latency p50 / p99 (ms)",
                string.Create(CultureInfo.InvariantCulture, $"{_tally.CallPercentile(0.50):F1} / {_tally.CallPercentile(0.99):F1}"),
                true),
            Row("driver run time (s)", elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture), true),
        };
        foreach (string line in lines)
        {
            Console.WriteLine(line);
        }

        foreach (string problem in _tally.Problems)
        {
            Console.WriteLine($"  problem: {problem}");
        }
    }
}
