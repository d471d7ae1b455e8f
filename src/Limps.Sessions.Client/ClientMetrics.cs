using System.Diagnostics.Metrics;

namespace Limps.Sessions.Client;

/// <summary>The instruments of the <c>Limps.Sessions.Client</c> meter. Tags never carry ids.</summary>
internal sealed class ClientMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _lost;
    private readonly Counter<long> _reinitializations;
    private readonly Counter<long> _retries;

    public ClientMetrics(IMeterFactory? meterFactory)
    {
        if (meterFactory is null)
        {
            _meter = new Meter(SessionRecoveryHandler.MeterName);
            _ownsMeter = true;
        }
        else
        {
            _meter = meterFactory.Create(new MeterOptions(SessionRecoveryHandler.MeterName));
        }

        _lost = _meter.CreateCounter<long>(
            "limps.sessions.client.sessions_lost", "{response}", "404 answers to requests that carried a tracked session id, by reason.");
        _reinitializations = _meter.CreateCounter<long>(
            "limps.sessions.client.reinitializations", "{reinitialization}", "Re-initialize exchanges, by outcome and reason.");
        _retries = _meter.CreateCounter<long>(
            "limps.sessions.client.retries", "{request}", "Requests retried on a new session, by outcome.");
    }

    public void Lost(SessionLoss loss) => _lost.Add(1, new KeyValuePair<string, object?>("reason", loss.Tag));

    public void Reinitialized(SessionLoss loss, bool succeeded) => _reinitializations.Add(
        1,
        new KeyValuePair<string, object?>("outcome", succeeded ? "succeeded" : "failed"),
        new KeyValuePair<string, object?>("reason", loss.Tag));

    public void Retried(bool succeeded) =>
        _retries.Add(1, new KeyValuePair<string, object?>("outcome", succeeded ? "succeeded" : "failed"));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
