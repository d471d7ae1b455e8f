using System.Text.Json;
using System.Text.Json.Serialization;

namespace Limps.Sessions.Tests.Handles;

/// <summary>
/// What a store that keeps states as JSON relies on: a state that cannot be serialized fails with one clear exception
/// naming the kind and the type (so the create or update that brought it fails, never a later use), and a state that
/// can round-trips through its source-generated contract.
/// </summary>
public partial class HandleStateSerializerTests
{
    [Test]
    public void A_state_round_trips_through_its_source_generated_contract()
    {
        var serializer = new HandleStateSerializer<Cart>("basket", StateJson.Default.Cart);
        var cart = new Cart(["sku-1", "sku-2"], null);

        byte[] json = serializer.Serialize(cart);

        System.Text.Encoding.UTF8.GetString(json).Should().Be("""{"Items":["sku-1","sku-2"],"Next":null}""");
        serializer.Deserialize(json).Items.Should().Equal("sku-1", "sku-2");
        serializer.Deserialize(new System.Buffers.ReadOnlySequence<byte>(json)).Items.Should().Equal("sku-1", "sku-2");
    }

    [Test]
    public void A_state_with_a_cycle_fails_with_a_clear_exception_naming_the_kind_and_type()
    {
        var serializer = new HandleStateSerializer<Cart>("basket", StateJson.Default.Cart);
        var cart = new Cart([], null);
        cart.Next = cart;

        HandleStateSerializationException thrown = FluentActions.Invoking(() => serializer.Serialize(cart))
            .Should().Throw<HandleStateSerializationException>().Which;

        thrown.Should().BeAssignableTo<ArgumentException>("the state given to the store is what is wrong");
        thrown.Kind.Should().Be("basket");
        thrown.StateType.Should().Be<Cart>();
        thrown.Message.Should().StartWith($"The state of a new or updated basket handle ({typeof(Cart).FullName}) cannot be serialized to JSON");
        // The source-generated fast path reports a cycle as the writer's depth limit (InvalidOperationException), the
        // metadata path as a JsonException: either way the caller gets the one exception type, with the cause kept.
        thrown.InnerException.Should().Match<Exception>(e => e is InvalidOperationException || e is JsonException);
        thrown.Message.Should().EndWith(thrown.InnerException!.Message);
    }

    [Test]
    public void A_state_whose_member_the_contract_cannot_write_fails_the_same_way()
    {
        var serializer = new HandleStateSerializer<Connection>("connection", StateJson.Default.Connection);

        HandleStateSerializationException thrown = FluentActions.Invoking(() => serializer.Serialize(new Connection(() => 1)))
            .Should().Throw<HandleStateSerializationException>().Which;

        thrown.Kind.Should().Be("connection");
        thrown.InnerException.Should().BeAssignableTo<NotSupportedException>();
    }

    [Test]
    public void A_stored_null_is_not_a_state()
    {
        var serializer = new HandleStateSerializer<Cart>("basket", StateJson.Default.Cart);

        FluentActions.Invoking(() => serializer.Deserialize("null"u8)).Should().Throw<JsonException>().WithMessage("*basket*");
    }

    public sealed class Cart(List<string> items, Cart? next)
    {
        public List<string> Items { get; } = items;

        public Cart? Next { get; set; } = next;
    }

    public sealed record Connection(Func<int> Open);

    [JsonSerializable(typeof(Cart))]
    [JsonSerializable(typeof(Connection))]
    internal sealed partial class StateJson : JsonSerializerContext;
}
