namespace Limps.Sessions.Client;

internal static class Placeholder;
