using System.Net;
using System.Net.Sockets;

namespace Limps.Sessions.RedisProcesses;

/// <summary>Picks loopback TCP ports that are free right now, for servers the tests and benchmarks start.</summary>
/// <remarks>
/// A port is released before the child binds it; a race with another process is possible but rare, and a child that
/// fails to bind is reported as not answering.
/// </remarks>
internal static class LoopbackPorts
{
    /// <summary>One free port, chosen by the system.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>
    /// Distinct ports for the nodes of a Redis Cluster: random in 20000..45535, each free together with its cluster bus
    /// port (+10000), and none another's bus port.
    /// </summary>
    public static int[] FreeForCluster(int count)
    {
        var ports = new List<int>();
        while (ports.Count < count)
        {
            int port = Random.Shared.Next(20_000, 45_536);
            if (ports.All(p => p != port && Math.Abs(p - port) != 10_000) && IsFree(port) && IsFree(port + 10_000))
            {
                ports.Add(port);
            }
        }

        return [.. ports];
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
