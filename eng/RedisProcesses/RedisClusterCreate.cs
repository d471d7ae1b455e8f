using System.Diagnostics;
using System.Globalization;

namespace Limps.Sessions.RedisProcesses;

/// <summary>Joins redis-server nodes started in cluster mode into one Redis Cluster with <c>redis-cli --cluster create</c>.</summary>
internal static class RedisClusterCreate
{
    /// <summary>The start of <c>redis-cli --cluster create</c> over the loopback nodes on <paramref name="ports"/>.</summary>
    /// <param name="cli">The redis-cli binary.</param>
    /// <param name="ports">Every node's port; redis-cli makes the first ones masters.</param>
    /// <param name="replicasPerMaster">How many of the nodes replicate each master.</param>
    public static ProcessStartInfo Info(string cli, IEnumerable<int> ports, int replicasPerMaster)
    {
        var info = new ProcessStartInfo(cli)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("--cluster");
        info.ArgumentList.Add("create");
        foreach (int port in ports)
        {
            info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"));
        }

        info.ArgumentList.Add("--cluster-replicas");
        info.ArgumentList.Add(replicasPerMaster.ToString(CultureInfo.InvariantCulture));
        return info;
    }

    /// <summary>
    /// Answers <c>yes</c> to the started redis-cli's proposal and waits for it to finish; throws with its output when
    /// it fails.
    /// </summary>
    /// <param name="create">The process started from <see cref="Info"/>.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public static async Task ConfirmAsync(Process create, CancellationToken cancellationToken)
    {
        Task<string> output = create.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> errors = create.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await create.StandardInput.WriteLineAsync("yes").ConfigureAwait(false);
            create.StandardInput.Close();
            await create.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Gave up waiting: a redis-cli left running would outlive whoever started it.
            create.Kill();
            throw;
        }

        if (create.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"redis-cli --cluster create failed: {await output.ConfigureAwait(false)} {await errors.ConfigureAwait(false)}");
        }
    }
}
