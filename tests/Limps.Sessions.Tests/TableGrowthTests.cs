using System.Collections.Concurrent;

namespace Limps.Sessions.Tests;

/// <summary>
/// The registry's id table grows by re-linking its entries in place while lookups run without locks. A session that is
/// live the whole time must be found by every lookup, however many growths, creates and ends race with it.
/// </summary>
public class TableGrowthTests
{
    private const int Stable = 2_000;
    private const int Churned = 60_000;
    private const int Writers = 2;
    private const int Readers = 2;

    [Test]
    [CancelAfter(120_000)]
    public async Task A_session_live_throughout_is_found_by_every_lookup_while_the_table_grows_and_entries_come_and_go()
    {
        for (int round = 0; round < 4; round++)
        {
            using var h = new RegistryHarness(o => o.MaxSessions = Stable + Churned);
            var stable = new SessionId[Stable];
            for (int i = 0; i < Stable; i++)
            {
                stable[i] = (await h.Registry.CreateAsync()).Id;
            }

            var misses = new ConcurrentQueue<string>();
            int writersDone = 0;
            long lookups = 0;

            // Readers look up and touch the stable sessions, and ask for unknown ids, until the writers are done.
            Task[] readers = [.. Enumerable.Range(0, Readers).Select(r => OnOwnThread(async () =>
            {
                int i = r;
                while (Volatile.Read(ref writersDone) < Writers)
                {
                    SessionId id = stable[i % Stable];
                    SessionLookup answer = (i & 1) == 0 ? await h.Registry.LookupAsync(id) : await h.Registry.TouchAsync(id);
                    if (!answer.IsActive)
                    {
                        misses.Enqueue($"{answer.Kind} for a live session");
                    }

                    if (i % 64 == 0 && !(await h.Registry.LookupAsync(SessionId.New())).IsNotFound)
                    {
                        misses.Enqueue("an unknown id was found");
                    }

                    i += Readers;
                    Interlocked.Increment(ref lookups);
                }
            }))];

            // Writers add sessions (the table doubles several times) and end every other one as they go, then the rest.
            Task[] writers = [.. Enumerable.Range(0, Writers).Select(w => OnOwnThread(async () =>
            {
                try
                {
                    var mine = new List<SessionId>();
                    for (int i = 0; i < Churned / Writers; i++)
                    {
                        mine.Add((await h.Registry.CreateAsync()).Id);
                        if (i % 2 == 1)
                        {
                            (await h.Registry.EndAsync(mine[i - 1], ExpiryReason.Deleted)).Should().BeTrue();
                        }
                    }

                    for (int i = 1; i < mine.Count; i += 2)
                    {
                        (await h.Registry.EndAsync(mine[i], ExpiryReason.Closed)).Should().BeTrue();
                    }
                }
                finally
                {
                    Interlocked.Increment(ref writersDone);
                }
            }))];

            await Task.WhenAll(writers);
            await Task.WhenAll(readers);

            misses.Should().BeEmpty();
            Interlocked.Read(ref lookups).Should().BeGreaterThan(0);
            h.Registry.Count.Should().Be(Stable);
            h.Registry.TableCount.Should().Be(Stable, "every ended session left the table");
            foreach (SessionId id in stable)
            {
                (await h.Registry.LookupAsync(id)).IsActive.Should().BeTrue();
            }
        }
    }

    [Test]
    public async Task EndAll_ends_every_session_once_after_the_table_has_grown()
    {
        using var h = new RegistryHarness(o => o.MaxSessions = 5_000);
        var ids = new List<SessionId>();
        for (int i = 0; i < 5_000; i++)
        {
            ids.Add((await h.Registry.CreateAsync()).Id);
        }

        (await h.Registry.EndAllAsync(ExpiryReason.Closed)).Should().Be(5_000);

        h.Registry.TableCount.Should().Be(0);
        h.Observer.Ended.Select(e => e.Id).Should().BeEquivalentTo(ids);
    }

    private static Task OnOwnThread(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
}
