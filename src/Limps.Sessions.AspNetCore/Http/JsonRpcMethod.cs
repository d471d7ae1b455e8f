using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Reads the JSON-RPC method of an id-less POST without consuming the body, for the one decision that needs it: at
/// capacity, only an <c>initialize</c> is refused. Never on the common path.
/// </summary>
internal static class JsonRpcMethod
{
    // An initialize request is small; a larger body is not read further (and is then not treated as an initialize).
    private const int MaxBytesRead = 64 * 1024;

    public static async Task<bool> IsInitializeAsync(HttpRequest request)
    {
        request.EnableBuffering(MaxBytesRead);
        byte[] buffer = new byte[MaxBytesRead];
        int read = 0;
        try
        {
            int last;
            do
            {
                last = await request.Body.ReadAsync(buffer.AsMemory(read), request.HttpContext.RequestAborted).ConfigureAwait(false);
                read += last;
            }
            while (last > 0 && read < buffer.Length);
        }
        finally
        {
            request.Body.Position = 0;
        }

        return IsInitialize(buffer.AsSpan(0, read));
    }

    internal static bool IsInitialize(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = true });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isMethod = reader.ValueTextEquals("method"u8);
                if (!reader.Read())
                {
                    return false;
                }

                if (isMethod)
                {
                    return reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("initialize"u8);
                }

                if (!reader.TrySkip())
                {
                    return false;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (or cut short): not an initialize.
        }

        return false;
    }
}
