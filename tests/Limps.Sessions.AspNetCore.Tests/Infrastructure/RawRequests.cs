using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Primitives;

namespace Limps.Sessions.AspNetCore.Tests.Infrastructure;

/// <summary>What the server answered to a raw request.</summary>
public sealed record RawAnswer(int Status, IHeaderDictionary Headers, string Body);

/// <summary>
/// Requests that bypass <see cref="HttpClient"/>'s header validation: straight into the <see cref="HttpContext"/> of an
/// in-memory <see cref="TestServer"/> (any string, control characters and all, any number of values), or as raw bytes
/// over a socket to Kestrel (whatever bytes a hostile client can put on the wire).
/// </summary>
public static class RawRequests
{
    /// <summary>Sends a request to <c>/mcp</c> through the TestServer with the given session header values, exactly.</summary>
    public static async Task<RawAnswer> SendWithSessionHeaderAsync(
        this TestHost host,
        string method,
        StringValues sessionIds,
        string? user = null,
        string? body = null,
        string? protocolVersion = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        TestServer server = host.App.GetTestServer();
        HttpContext context = await server.SendAsync(c =>
        {
            c.Request.Method = method;
            c.Request.Path = "/mcp";
            c.Request.Headers.Accept = "application/json, text/event-stream";
            c.Request.Headers[SessionHeaders.SessionId] = sessionIds;
            if (user is not null)
            {
                c.Request.Headers[TestUserAuthenticationHandler.Header] = user;
            }

            if (protocolVersion is not null)
            {
                c.Request.Headers[SessionHeaders.ProtocolVersion] = protocolVersion;
            }

            if (body is not null)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(body);
                c.Request.ContentType = "application/json";
                c.Request.ContentLength = bytes.Length;
                c.Request.Body = new MemoryStream(bytes);
            }
        });

        using var reader = new StreamReader(context.Response.Body);
        return new RawAnswer(context.Response.StatusCode, context.Response.Headers, await reader.ReadToEndAsync());
    }

    /// <summary>
    /// Sends a POST to <c>/mcp</c> over a new TCP connection to a Kestrel host, with <paramref name="sessionHeaderValue"/>
    /// written byte for byte after <c>Mcp-Session-Id: </c>, and returns the status code of the answer.
    /// </summary>
    public static async Task<int> PostRawBytesAsync(Uri baseAddress, byte[] sessionHeaderValue, string body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentNullException.ThrowIfNull(sessionHeaderValue);
        using var client = new TcpClient();
        await client.ConnectAsync(baseAddress.Host, baseAddress.Port, cancellationToken);
        NetworkStream stream = client.GetStream();
        byte[] content = Encoding.UTF8.GetBytes(body);
        using var request = new MemoryStream();
        Write(request, $"POST /mcp HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nAccept: application/json, text/event-stream\r\n");
        Write(request, $"Content-Type: application/json\r\nContent-Length: {content.Length}\r\nConnection: close\r\n");
        Write(request, "Mcp-Session-Id: ");
        request.Write(sessionHeaderValue);
        Write(request, "\r\n\r\n");
        request.Write(content);
        await stream.WriteAsync(request.ToArray(), cancellationToken);

        // The status line is all that is needed: "HTTP/1.1 404 Not Found".
        var line = new StringBuilder();
        byte[] one = new byte[1];
        while (await stream.ReadAsync(one, cancellationToken) == 1 && one[0] != (byte)'\n')
        {
            line.Append((char)one[0]);
        }

        string[] parts = line.ToString().Split(' ', 3);
        return parts.Length >= 2 && int.TryParse(parts[1], out int status)
            ? status
            : throw new InvalidOperationException($"No HTTP status line in the answer: '{line}'.");
    }

    private static void Write(MemoryStream stream, string ascii) => stream.Write(Encoding.ASCII.GetBytes(ascii));
}
