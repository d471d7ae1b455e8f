namespace Limps.Sessions.Redis.Tests; public class Placeholder { [Test] public void Builds() => 1.Should().Be(1); }
