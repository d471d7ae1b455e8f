using Microsoft.AspNetCore.Http;

namespace Limps.Sessions.AspNetCore;

/// <summary>
/// Registers the session the server issues in answer to an id-less POST, before any of that answer reaches the client.
/// The response body is wrapped so the decision is taken at the server's first write or flush: when the session is
/// refused (the capacity was reached meanwhile), the client gets Limps's JSON 503 and the server's own body is
/// dropped, never the server's body under a 503 status.
/// </summary>
internal sealed class SessionRegistration(SessionGate gate, HttpContext context)
{
    private Task<bool>? _decision;
    private Stream? _inner;
    private bool _writingOwn;

    public SessionCreationFeature Creation { get; } = new();

    /// <summary>Whether the server's answer is being replaced by Limps's 503.</summary>
    public bool Refused { get; private set; }

    public void Install()
    {
        HttpResponse response = context.Response;
        _inner = response.Body;
        response.Body = new RefusableBody(this, _inner);

        // A server that answers without writing a body still has its session registered (or refused) here.
        response.OnStarting(static state => ((SessionRegistration)state).DecideOnStartAsync(), this);
    }

    private async Task DecideOnStartAsync()
    {
        // Started by Limps's own 503 (inside the decision, before it is recorded): nothing more to decide.
        if (_writingOwn)
        {
            return;
        }

        if (!await DecideAsync().ConfigureAwait(false))
        {
            // Nothing was written: at least the status and headers are Limps's.
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.Remove(SessionHeaders.SessionId);
        }
    }

    /// <summary>Runs the registration once; returns <see langword="false"/> when the session was refused.</summary>
    private Task<bool> DecideAsync() => _decision ??= DecideOnceAsync();

    private async Task<bool> DecideOnceAsync()
    {
        bool registered = await gate.RegisterIssuedSessionAsync(context, Creation).ConfigureAwait(false);
        if (!registered && !context.Response.HasStarted)
        {
            Refused = true;
            _writingOwn = true;
            try
            {
                context.Response.Headers.Remove(SessionHeaders.SessionId);
                context.Response.Headers.ContentType = default;
                await gate.WriteRefusedAsync(context).ConfigureAwait(false);
            }
            finally
            {
                _writingOwn = false;
            }
        }

        return registered;
    }

    /// <summary>The response body seen by the server behind the check during an id-less POST.</summary>
    private sealed class RefusableBody(SessionRegistration registration, Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (registration._writingOwn)
            {
                await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
                return;
            }

            await registration.DecideAsync().ConfigureAwait(false);
            if (!registration.Refused)
            {
                await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (!registration._writingOwn)
            {
                await registration.DecideAsync().ConfigureAwait(false);
            }

            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        // Kestrel refuses synchronous I/O by default; a host that allows it still gets the decision first.
        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
