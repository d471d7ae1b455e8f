using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Limps.Sessions.RedisProcesses;

/// <summary>
/// One command to a Redis server on loopback over a fresh connection, without a client library: for asking a server
/// the tests or benchmarks started whether it is up, how many keys it holds, or its cluster state.
/// </summary>
internal static class RespQuery
{
    /// <summary>
    /// Sends one command and answers a simple or integer reply's text, or a bulk reply's content; <see langword="null"/>
    /// when the server does not answer within two seconds, answers an error, or closes the connection.
    /// </summary>
    /// <param name="port">The server's loopback port.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <param name="command">The command and its arguments, for example <c>"INFO", "replication"</c>.</param>
    public static async Task<string?> AskAsync(int port, CancellationToken cancellationToken, params string[] command)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            NetworkStream stream = client.GetStream();
            var request = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
            foreach (string part in command)
            {
                request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
            }

            await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token).ConfigureAwait(false);
            using var reply = new MemoryStream();
            byte[] buffer = new byte[64 * 1024];
            while (true)
            {
                int read = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return null;
                }

                reply.Write(buffer, 0, read);
                string text = Encoding.UTF8.GetString(reply.GetBuffer(), 0, (int)reply.Length);
                int header = text.IndexOf("\r\n", StringComparison.Ordinal);
                if (header < 0)
                {
                    continue;
                }

                switch (text[0])
                {
                    case '+' or ':':
                        return text[1..header];
                    case '$':
                        int length = int.Parse(text[1..header], CultureInfo.InvariantCulture);
                        if (length < 0)
                        {
                            return null;
                        }

                        if (reply.Length >= header + 2 + length + 2)
                        {
                            return Encoding.UTF8.GetString(reply.GetBuffer(), header + 2, length);
                        }

                        break;
                    default:
                        return null;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}
