using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Limps.Sessions.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NodaTime;

namespace Limps.Sessions.AspNetCore.Tests;

/// <summary>
/// Session ids are bearer secrets. The ids clients hold (issued by the MCP SDK, registered by Limps) are 128 random
/// bits; and no full id ever appears in Limps's logs (any level), in any metric's tags, or in health output, through a
/// scenario that reaches every log record of the lifecycle, the checks and the refusals.
/// </summary>
[TestFixture]
public sealed class SecrecyTests
{
    [Test]
    public async Task No_full_session_id_reaches_logs_metrics_or_health_output()
    {
        var tags = new ConcurrentQueue<(string Instrument, string Tag)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => l.EnableMeasurementEvents(instrument);
        listener.SetMeasurementEventCallback<long>((instrument, _, measurementTags, _) => Record(instrument, measurementTags));
        listener.SetMeasurementEventCallback<int>((instrument, _, measurementTags, _) => Record(instrument, measurementTags));
        listener.SetMeasurementEventCallback<double>((instrument, _, measurementTags, _) => Record(instrument, measurementTags));
        listener.Start();

        var ids = new List<string>();
        TestHost host = await TestHost.StartAsync(
            o =>
            {
                o.IdleTimeout = TimeSpan.FromMinutes(5);
                o.MaxSessions = 4;
            },
            builder =>
            {
                builder.Logging.SetMinimumLevel(LogLevel.Trace);
                builder.Logging.AddFilter(null, LogLevel.Trace);
                builder.Logging.AddFilter("Limps.Sessions", LogLevel.Trace);
                builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Trace);
            });
        FakeLogCollector logs = host.Logs;
        string healthBody;
        HealthReportEntry health;
        try
        {
            // Deleted, used by its owner and turned away for others, idled out (found by the sweeper and by a
            // request), refused at capacity, malformed and unknown ids, and closed on shutdown.
            string deleted = await host.InitializeAsync();
            string owned = await host.InitializeAsync(user: "alice");
            string swept = await host.InitializeAsync();
            string lookedUp = await host.InitializeAsync(user: "bob");
            ids.AddRange([deleted, owned, swept, lookedUp]);
            using (HttpResponseMessage full = await host.Client.SendAsync(host.Request(HttpMethod.Post, body: TestHost.InitializeBody())))
            {
                full.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            }

            await FluentActions.Awaiting(async () => await host.Registry.CreateAsync())
                .Should().ThrowAsync<SessionCapacityExceededException>();

            (await host.CallEchoAsync(owned, "mine", user: "alice")).StatusCode.Should().Be(HttpStatusCode.OK);
            (await host.CallEchoAsync(owned, "not mine", user: "mallory")).StatusCode.Should().Be(HttpStatusCode.NotFound);
            (await host.Client.SendAsync(host.Request(HttpMethod.Delete, owned))).StatusCode.Should().Be(HttpStatusCode.NotFound);
            (await host.Client.SendAsync(host.Request(HttpMethod.Delete, deleted))).StatusCode.Should().Be(HttpStatusCode.OK);
            (await host.ListToolsAsync(deleted)).StatusCode.Should().Be(HttpStatusCode.NotFound);
            (await host.ListToolsAsync("has space")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
            string unknown = SessionId.New().ToString();
            ids.Add(unknown);
            (await host.ListToolsAsync(unknown)).StatusCode.Should().Be(HttpStatusCode.NotFound);

            host.Clock.Advance(Duration.FromMinutes(5));
            (await host.CallEchoAsync(owned, "keep alive", user: "alice")).StatusCode.Should().Be(HttpStatusCode.NotFound, "idle too");
            (await host.ListToolsAsync(lookedUp, user: "bob")).StatusCode.Should().Be(HttpStatusCode.NotFound);
            await host.Registry.SweepAsync();
            string closed = await host.InitializeAsync(user: "carol");
            ids.Add(closed);
            (await host.SdkClosedSessions.WaitForCloseAsync(swept)).Should().BeTrue();

            using HttpResponseMessage healthResponse = await host.Client.GetAsync(new Uri("/health", UriKind.Relative));
            healthBody = await healthResponse.Content.ReadAsStringAsync();
            health = await new HealthReportProbe(host).CheckAsync();
        }
        finally
        {
            await host.DisposeAsync(); // closes the last session on shutdown
        }

        IReadOnlyList<FakeLogRecord> records = logs.GetSnapshot();
        List<FakeLogRecord> limps =
        [
            .. records.Where(r => r.Category?.StartsWith("Limps.Sessions", StringComparison.Ordinal) == true
                && !r.Category.StartsWith("Limps.Sessions.AspNetCore.Tests", StringComparison.Ordinal)),
        ];
        string[] expectedEvents =
        [
            "SessionStarted", "SessionEnded", "SessionOwnerMismatch", "InvalidSessionId", "SessionRefusedAtCapacity",
            "SessionCapacityReached", "SweepCompleted", "SessionsClosedOnShutdown",
        ];
        expectedEvents.Except(limps.Select(r => r.Id.Name)).Should().BeEmpty("the scenario reaches every log record of the lifecycle, the checks and the refusals");
        limps.Where(r => r.Id.Name == "SessionEnded").Should().HaveCount(5);
        foreach (FakeLogRecord record in limps)
        {
            foreach (string text in EverythingIn(record))
            {
                foreach (string id in ids)
                {
                    text.Should().NotContain(id, "{0} ({1}) must log masked ids only", record.Id.Name, record.Category);
                }
            }
        }

        // Other components' Trace/Debug records are theirs (reported, not asserted); none at Information or above.
        TestContext.Out.WriteLine("Records below Information that carry a full id: " + string.Join(", ", records
            .Where(r => r.Level < LogLevel.Information && ids.Any(id => EverythingIn(r).Any(t => t.Contains(id, StringComparison.Ordinal))))
            .Select(r => $"{r.Category}/{r.Id.Name}/{r.Level}").Distinct()));
        records.Where(r => r.Level >= LogLevel.Information)
            .Where(r => ids.Any(id => EverythingIn(r).Any(t => t.Contains(id, StringComparison.Ordinal))))
            .Select(r => $"{r.Category}/{r.Id.Name}").Should().BeEmpty("no component logs a full id at Information or above");

        tags.Should().NotBeEmpty();
        tags.Where(t => ids.Any(id => t.Tag.Contains(id, StringComparison.Ordinal))).Should().BeEmpty("no metric tag carries an id");
        tags.Where(t => t.Instrument.StartsWith("limps.", StringComparison.Ordinal)).Should().NotBeEmpty();

        healthBody.Should().StartWith("{\"status\":\"Healthy\"").And.Contain("\"activeSessions\":");
        ids.Should().NotContain(id => healthBody.Contains(id, StringComparison.Ordinal), "the health body shows counts, never ids");
        health.Data.Keys.Should().BeEquivalentTo("activeSessions", "maxSessions", "ledgerEntries", "maxLedgerEntries");
        foreach (string text in health.Data.Values.Select(v => v.ToString()!).Append(health.Description ?? string.Empty))
        {
            ids.Should().NotContain(id => text.Contains(id, StringComparison.Ordinal));
        }

        void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> measurementTags)
        {
            foreach (KeyValuePair<string, object?> tag in measurementTags)
            {
                tags.Enqueue((instrument.Name, $"{tag.Key}={tag.Value}"));
            }
        }
    }

    [Test]
    public async Task Ids_the_server_issues_carry_128_random_bits_and_do_not_repeat()
    {
        const int Count = 1_000;
        await using TestHost host = await TestHost.StartAsync(o => o.MaxSessions = Count);
        var ids = new ConcurrentBag<string>();
        await Parallel.ForAsync(0, Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            using HttpResponseMessage response = await host.Client.SendAsync(host.Request(HttpMethod.Post, body: TestHost.InitializeBody()));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            ids.Add(response.Headers.GetValues(SessionHeaders.SessionId).Single());
        });

        ids.Should().OnlyHaveUniqueItems().And.HaveCount(Count);
        (await host.Registry.CountAsync()).Should().Be(Count, "Limps registered every id the server issued");
        long[] ones = new long[128];
        long[,] symbols = new long[22, 64];
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        byte[] bytes = new byte[16];
        foreach (string id in ids)
        {
            id.Should().MatchRegex("^[A-Za-z0-9_-]{22}$");
            Base64Url.DecodeFromChars(id, bytes, out _, out int written);
            written.Should().Be(16, "22 base64url characters carry 16 bytes (128 bits)");
            Base64Url.EncodeToString(bytes).Should().Be(id);
            for (int bit = 0; bit < 128; bit++)
            {
                ones[bit] += (bytes[bit / 8] >> (bit % 8)) & 1;
            }

            for (int position = 0; position < 22; position++)
            {
                symbols[position, Alphabet.IndexOf(id[position], StringComparison.Ordinal)]++;
            }
        }

        // Six standard deviations per bit; chi-square of the 6-bit characters pooled over positions 0-20.
        double sigma = Math.Sqrt(Count * 0.25);
        Enumerable.Range(0, 128).Where(bit => Math.Abs(ones[bit] - (Count / 2.0)) >= 6 * sigma)
            .Should().BeEmpty("every bit of an issued id is set half of the time");
        double expected = Count * 21 / 64.0;
        double chiSquare = Enumerable.Range(0, 64)
            .Select(s => Enumerable.Range(0, 21).Sum(p => symbols[p, s]))
            .Sum(observed => Math.Pow(observed - expected, 2) / expected);
        chiSquare.Should().BeLessThan(131.8, "the characters are uniform (chi-square, 63 degrees of freedom, p = 1e-6)");
        Enumerable.Range(0, 64).Where(s => s % 16 != 0).Sum(s => symbols[21, s]).Should().Be(0, "the last character holds the last 2 bits");
    }

    private static IEnumerable<string> EverythingIn(FakeLogRecord record)
    {
        yield return record.Message;
        yield return record.ToString();
        if (record.StructuredState is not null)
        {
            foreach (KeyValuePair<string, string?> pair in record.StructuredState)
            {
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
}
