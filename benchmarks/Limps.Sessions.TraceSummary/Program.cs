using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// Limps.Sessions.TraceSummary CPU.nettrace ALLOC.nettrace
// Every stack sample and every allocation sample is charged to its nearest "owner" frame: the first frame, walking up
// from the leaf, whose module is ours (Limps.*), the MCP SDK's, ASP.NET Core's or System.Text.Json's. So a
// ConcurrentDictionary probe made by the registry counts as Limps, and the SDK's work under the gate's `next` does not.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Limps.Sessions.TraceSummary CPU.nettrace ALLOC.nettrace");
    return 2;
}

SummarizeCpu(args[0]);
SummarizeAllocations(args[1]);
return 0;

static TraceLog Open(string nettrace) => new(TraceLog.CreateFromEventPipeDataFile(nettrace));

static void SummarizeCpu(string path)
{
    using TraceLog log = Open(path);
    var byOwner = new Dictionary<string, long>();
    var byLimpsFrame = new Dictionary<string, long>();
    var otherLeaves = new Dictionary<string, long>();
    long managed = 0;
    long idle = 0;
    foreach (TraceEvent ev in log.Events)
    {
        if (ev.ProviderName != "Microsoft-DotNETCore-SampleProfiler" || ev.EventName != "Thread/Sample")
        {
            continue;
        }

        // Type 2: the thread was running managed code (type 1, external, is mostly a thread waiting in native code).
        if (Convert.ToInt32(ev.PayloadByName("Type"), CultureInfo.InvariantCulture) != 2)
        {
            continue;
        }

        managed++;
        if (IsIdle(ev.CallStack()))
        {
            // A thread-pool thread parked or spinning for work: thread time, not work done for a request.
            idle++;
            continue;
        }

        (string owner, string? frame) = Owner(ev.CallStack());
        Add(byOwner, owner, 1);
        if (frame is not null && owner == "Limps")
        {
            Add(byLimpsFrame, frame, 1);
        }

        Add(otherLeaves, $"[{owner}] {Leaf(ev.CallStack())}", 1);
    }

    long busy = managed - idle;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CPU: {managed} managed-code stack samples, {idle} of them idle thread-pool threads, {busy} busy; shares below are of the busy ones ({path})"));
    Print("  nearest owner", byOwner, busy, v => v.ToString(CultureInfo.InvariantCulture), 10);
    Print("  Limps frames (nearest Limps frame of samples owned by Limps)", byLimpsFrame, busy, v => v.ToString(CultureInfo.InvariantCulture), 20);
    Print("  top leaf frames (exclusive) with their caller, [nearest owner]", otherLeaves, busy, v => v.ToString(CultureInfo.InvariantCulture), 15);
}

static void SummarizeAllocations(string path)
{
    using TraceLog log = Open(path);
    var byType = new Dictionary<string, long>();
    var byOwner = new Dictionary<string, long>();
    var byLimps = new Dictionary<string, long>();
    long total = 0;
    foreach (TraceEvent ev in log.Events)
    {
        if (ev is not GCAllocationTickTraceData tick)
        {
            continue;
        }

        long bytes = tick.AllocationAmount64;
        total += bytes;
        Add(byType, tick.TypeName ?? "?", bytes);
        (string owner, string? frame) = Owner(ev.CallStack());
        Add(byOwner, owner, bytes);
        if (owner == "Limps")
        {
            Add(byLimps, $"{tick.TypeName}  <-  {frame}", bytes);
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Allocations: {total / 1024.0 / 1024.0:F1} MiB sampled ({path})"));
    Print("  nearest owner (bytes)", byOwner, total, Bytes, 10);
    Print("  types (bytes)", byType, total, Bytes, 25);
    Print("  owned by Limps: type <- nearest Limps frame (bytes)", byLimps, total, Bytes, 25);
}

static (string Owner, string? Frame) Owner(TraceCallStack? stack)
{
    for (TraceCallStack? s = stack; s is not null; s = s.Caller)
    {
        string module = s.CodeAddress.ModuleName ?? string.Empty;
        string? owner = module switch
        {
            _ when module.StartsWith("Limps.", StringComparison.Ordinal) => "Limps",
            _ when module.StartsWith("ModelContextProtocol", StringComparison.Ordinal) => "MCP SDK",
            _ when module.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) => "ASP.NET Core",
            _ when module.StartsWith("System.Text.Json", StringComparison.Ordinal) => "System.Text.Json",
            _ when module.StartsWith("System.Net", StringComparison.Ordinal) => "System.Net",
            _ when module.StartsWith("Microsoft.Extensions", StringComparison.Ordinal) => "Microsoft.Extensions",
            _ => null,
        };
        if (owner is not null)
        {
            return (owner, s.CodeAddress.FullMethodName);
        }
    }

    return ("runtime / other", null);
}

static bool IsIdle(TraceCallStack? stack)
{
    string leaf = stack is null ? string.Empty : Short(stack.CodeAddress.FullMethodName);
    return leaf is "System.Threading.LowLevelLifoSemaphore.Wait"
        or "System.Threading.LowLevelLifoSemaphore.WaitForSignal"
        or "System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart"
        or "System.Threading.WaitHandle.WaitOneNoCheck"
        or "System.Threading.Monitor.Wait";
}

static string Leaf(TraceCallStack? stack)
{
    string Name(TraceCallStack? s) => s is null ? "-" : Short(s.CodeAddress.FullMethodName);
    return $"{Name(stack)}  <-  {Name(stack?.Caller)}";
}

static string Short(string? method)
{
    if (string.IsNullOrEmpty(method))
    {
        return "?";
    }

    int paren = method.IndexOf('(', StringComparison.Ordinal);
    return paren > 0 ? method[..paren] : method;
}

static void Add(Dictionary<string, long> counts, string key, long value) =>
    counts[key] = counts.GetValueOrDefault(key) + value;

static string Bytes(long value) => string.Create(CultureInfo.InvariantCulture, $"{value / 1024.0:F0} KiB");

static void Print(string title, Dictionary<string, long> counts, long total, Func<long, string> format, int top)
{
    Console.WriteLine(title);
    foreach ((string key, long value) in counts.OrderByDescending(p => p.Value).Take(top))
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {100.0 * value / Math.Max(1, total),6:F2} %  {format(value),10}  {key}"));
    }
}
