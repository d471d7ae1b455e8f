using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Limps.Sessions.Tests;

/// <summary>Source-generated log records for the lifecycle, never with a full session id.</summary>
public class LoggingTests
{
    private static IEnumerable<string> EverythingIn(FakeLogRecord record)
    {
        yield return record.Message;
        yield return record.ToString();
        if (record.StructuredState is not null)
        {
            foreach (KeyValuePair<string, string?> pair in record.StructuredState)
            {
                yield return pair.Key;
                yield return pair.Value ?? string.Empty;
            }
        }

        if (record.Exception is not null)
        {
            yield return record.Exception.ToString();
        }

        foreach (object? scope in record.Scopes)
        {
            yield return scope?.ToString() ?? string.Empty;
        }
    }

    [Test]
    public async Task Start_end_and_timeout_are_logged_with_masked_ids_only()
    {
        var logger = new FakeLogger<InMemorySessionRegistry>();
        using var h = new RegistryHarness(o => o.MaxSessions = 4, logger, extraObservers: new ThrowingObserver());
        SessionInfo deleted = await h.Registry.CreateAsync(owner: "alice");
        SessionInfo timedOutByLookup = await h.Registry.CreateAsync();
        SessionInfo timedOutBySweep = await h.Registry.CreateAsync();
        SessionInfo closed = await h.Registry.CreateAsync(SessionId.Parse("short-id"));
        SessionId[] all = [deleted.Id, timedOutByLookup.Id, timedOutBySweep.Id, closed.Id];

        await FluentActions.Awaiting(async () => await h.Registry.CreateAsync())
            .Should().ThrowAsync<SessionCapacityExceededException>();
        h.Advance(TestTime.Minutes(1));
        await h.Registry.TouchAsync(closed.Id);
        await h.Registry.EndAsync(deleted.Id, ExpiryReason.Deleted);
        await using (await h.Registry.BeginLeaseAsync(closed.Id))
        {
        }

        h.AdvanceTo(TestTime.Start + h.Idle);
        await h.Registry.LookupAsync(timedOutByLookup.Id);
        await h.Registry.SweepAsync();
        await h.Registry.EndAllAsync(ExpiryReason.Closed);
        await h.Registry.LookupAsync(deleted.Id);

        IReadOnlyList<FakeLogRecord> records = logger.Collector.GetSnapshot();

        records.Where(r => r.Id.Name == "SessionStarted").Should().HaveCount(4)
            .And.OnlyContain(r => r.Level == LogLevel.Information);
        List<FakeLogRecord> ended = [.. records.Where(r => r.Id.Name == "SessionEnded")];
        ended.Should().HaveCount(4).And.OnlyContain(r => r.Level == LogLevel.Information);
        ended.Select(r => r.GetStructuredStateValue("Reason")).Should().BeEquivalentTo("deleted", "timeout", "timeout", "closed");
        records.Should().Contain(r => r.Id.Name == "SweepCompleted" && r.Level == LogLevel.Debug);
        records.Should().Contain(r => r.Id.Name == "SessionCapacityReached" && r.Level == LogLevel.Warning);
        records.Should().Contain(r => r.Id.Name == "ObserverFailed" && r.Level == LogLevel.Error);

        foreach (SessionId id in all)
        {
            records.Where(r => r.Id.Name == "SessionStarted")
                .Should().ContainSingle(r => r.GetStructuredStateValue("SessionId") == id.Masked);
            ended.Should().ContainSingle(r => r.Message.Contains(id.Masked, StringComparison.Ordinal));
        }

        records.Single(r => r.Id.Name == "SessionStarted" && r.GetStructuredStateValue("SessionId") == deleted.Id.Masked)
            .GetStructuredStateValue("HasOwner").Should().Be("True");
        ended.Single(r => r.GetStructuredStateValue("SessionId") == timedOutBySweep.Id.Masked)
            .Message.Should().Contain("timeout").And.Contain("2026-02-11T10:30:00.000Z");

        foreach (FakeLogRecord record in records)
        {
            foreach (string text in EverythingIn(record))
            {
                foreach (SessionId id in all)
                {
                    text.Should().NotContain(id.ToString(), $"record {record.Id.Name} must not reveal a full session id");
                }
            }
        }
    }

    [Test]
    public async Task No_record_reveals_a_full_id_over_many_sessions()
    {
        var logger = new FakeLogger<InMemorySessionRegistry>();
        using var h = new RegistryHarness(logger: logger);
        var ids = new List<SessionId>();
        var random = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            ids.Add((await h.Registry.CreateAsync(owner: i % 3 == 0 ? "user" + i : null)).Id);
        }

        foreach (SessionId id in ids.Where(_ => random.Next(3) == 0))
        {
            await h.Registry.EndAsync(id, ExpiryReason.Deleted);
        }

        h.Advance(h.Idle);
        await h.Registry.SweepAsync();

        IReadOnlyList<FakeLogRecord> records = logger.Collector.GetSnapshot();
        records.Should().HaveCountGreaterThanOrEqualTo(400);
        var fullIds = new HashSet<string>(ids.Select(id => id.ToString()), StringComparer.Ordinal);
        foreach (FakeLogRecord record in records)
        {
            foreach (string text in EverythingIn(record))
            {
                fullIds.Where(full => text.Contains(full, StringComparison.Ordinal)).Should().BeEmpty();
            }
        }
    }
}
