using System.Security.Cryptography;
using System.Text;

namespace Limps.Sessions.Redis;

/// <summary>A Lua script and the SHA-1 digest Redis caches it under, so calls send <c>EVALSHA</c>, not the text.</summary>
internal sealed class RedisScript
{
    public RedisScript(string text)
    {
        Text = text;
#pragma warning disable CA5350 // Redis names cached scripts by their SHA-1 digest; this is not a security use.
        Hash = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
    }

    /// <summary>Gets the script's source, sent with <c>EVAL</c> when Redis does not have it cached.</summary>
    public string Text { get; }

    /// <summary>Gets the SHA-1 digest of <see cref="Text"/>.</summary>
    public byte[] Hash { get; }
}
