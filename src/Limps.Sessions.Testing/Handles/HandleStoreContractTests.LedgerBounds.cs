// Each test's name says what it proves; the names are the documentation of these public methods.
#pragma warning disable CS1591
using System.Collections.Concurrent;
using NodaTime;

namespace Limps.Sessions.Testing;

// ledger bounds
public abstract partial class HandleStoreContractTests
{
    [Test]
    public async Task An_ended_handle_is_remembered_for_the_retention_then_answered_unknown()
    {
        using HandleStoreHarness h = Create(o => o.LedgerRetention = TimeSpan.FromHours(2));
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
        await h.Store.DestroyAsync(handle, Alice);

        h.Advance((Hour * 2) - TestTime.OneTick);
        (await Refused(async () => await h.Store.UseAsync(handle, Alice))).Code.Should().Be(HandleErrorCodes.Expired);

        h.Advance(TestTime.OneTick);
        (await Refused(async () => await h.Store.UseAsync(handle, Alice))).Code.Should().Be(HandleErrorCodes.NotFound);
        await h.Store.SweepAsync();
        (await h.LedgerCountAsync()).Should().Be(0);
    }

    [Test]
    public async Task The_ledger_keeps_at_most_its_capacity_dropping_the_oldest_first()
    {
        // Three handles of one partition (the others made on the way stay live, so they never reach the ledger): a
        // partitioned store's share of the capacity is 2, and it drops the partition's oldest first.
        StoreCapacity capacity = Capacity;
        using HandleStoreHarness h = Create(o => o.MaxLedgerEntries = capacity.TotalFor(2));
        var handles = new List<string>();
        while (handles.Count < 3)
        {
            string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
            if (capacity.PartitionOf(handle) == capacity.PartitionOf(handles.Count == 0 ? handle : handles[0]))
            {
                handles.Add(handle);
            }
        }

        foreach (string handle in handles)
        {
            await h.Store.DestroyAsync(handle, Alice);
            h.Advance(Duration.FromMinutes(1));
        }

        (await h.LedgerCountAsync()).Should().Be(2);
        (await Refused(async () => await h.Store.UseAsync(handles[0], Alice))).Code.Should().Be(HandleErrorCodes.NotFound);
        (await Refused(async () => await h.Store.UseAsync(handles[1], Alice))).Code.Should().Be(HandleErrorCodes.Expired);
        (await Refused(async () => await h.Store.UseAsync(handles[2], Alice))).Code.Should().Be(HandleErrorCodes.Expired);
    }

    [Test]
    public async Task A_ledger_with_zero_retention_answers_every_ended_handle_unknown()
    {
        using HandleStoreHarness h = Create(o => o.LedgerRetention = TimeSpan.Zero);
        string handle = await h.Store.CreateAsync(Basket.Empty, Alice);
        await h.Store.DestroyAsync(handle, Alice);

        (await Refused(async () => await h.Store.UseAsync(handle, Alice))).Code.Should().Be(HandleErrorCodes.NotFound);
        (await h.LedgerCountAsync()).Should().Be(0);
    }

    [Test]
    public async Task A_handle_created_without_a_creating_tool_name_has_no_hint()
    {
        using HandleStoreHarness h = Create(o => o.CreateToolName = null);
        string handle = await h.Store.CreateAsync(Basket.Empty);
        await h.Store.DestroyAsync(handle);

        HandleUnavailableException error = await Refused(async () => await h.Store.UseAsync(handle));
        error.ToolResultText.Should().Be($"basket {handle} has expired (reason: deleted, at {Iso(TestTime.Start)}).");
        error.CreateToolName.Should().BeNull();
    }
}
