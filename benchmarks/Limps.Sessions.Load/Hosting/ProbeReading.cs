using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Limps.Sessions.Load.Hosting;

/// <summary>One reading of a host's own counters, from the startup hook in Limps.Sessions.Load.Probe.</summary>
internal readonly record struct ProbeReading(
    long AllocatedBytes,
    long CpuTicks,
    int Gen0,
    int Gen1,
    int Gen2,
    long WorkItems,
    long LockContentions,
    long MethodsCompiled)
{
    public static async Task<ProbeReading?> ReadAsync(string socketPath, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            byte[] buffer = new byte[256];
            int length = 0;
            int read;
            while (length < buffer.Length
                && (read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            string[] parts = Encoding.ASCII.GetString(buffer, 0, length).Trim().Split(' ');
            return new ProbeReading(
                long.Parse(parts[0], CultureInfo.InvariantCulture),
                long.Parse(parts[1], CultureInfo.InvariantCulture),
                int.Parse(parts[2], CultureInfo.InvariantCulture),
                int.Parse(parts[3], CultureInfo.InvariantCulture),
                int.Parse(parts[4], CultureInfo.InvariantCulture),
                long.Parse(parts[5], CultureInfo.InvariantCulture),
                long.Parse(parts[6], CultureInfo.InvariantCulture),
                long.Parse(parts[7], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is SocketException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static ProbeReading operator -(ProbeReading after, ProbeReading before) => new(
        after.AllocatedBytes - before.AllocatedBytes,
        after.CpuTicks - before.CpuTicks,
        after.Gen0 - before.Gen0,
        after.Gen1 - before.Gen1,
        after.Gen2 - before.Gen2,
        after.WorkItems - before.WorkItems,
        after.LockContentions - before.LockContentions,
        after.MethodsCompiled - before.MethodsCompiled);

    public static ProbeReading operator +(ProbeReading a, ProbeReading b) => new(
        a.AllocatedBytes + b.AllocatedBytes,
        a.CpuTicks + b.CpuTicks,
        a.Gen0 + b.Gen0,
        a.Gen1 + b.Gen1,
        a.Gen2 + b.Gen2,
        a.WorkItems + b.WorkItems,
        a.LockContentions + b.LockContentions,
        a.MethodsCompiled + b.MethodsCompiled);
}
