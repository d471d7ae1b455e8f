namespace Limps.Sessions.Redis;

internal static class Placeholder;
