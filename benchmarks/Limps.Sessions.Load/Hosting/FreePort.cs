using System.Net;
using System.Net.Sockets;

namespace Limps.Sessions.Load.Hosting;

/// <summary>Picks a loopback TCP port that is free right now.</summary>
internal static class FreePort
{
    // The port is released before the child binds it; a race with another process is possible but rare, and a
    // child that fails to bind is reported as not answering.
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
