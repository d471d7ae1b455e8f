// A user's app, built from the packed Limps packages only: AddLimpsSessions(), the check on an endpoint, and an
// ExpiryReason of its own that must show in the 404 body.
using System.Net;
using Limps.Sessions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddLimpsSessions(o => o.IdleTimeout = TimeSpan.FromMinutes(5));

WebApplication app = builder.Build();
app.MapPost("/mcp", () => Results.Ok("reached the endpoint")).WithLimpsSessions();
await app.StartAsync();

string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
ISessionRegistry registry = app.Services.GetRequiredService<ISessionRegistry>();
SessionInfo session = await registry.CreateAsync();
using var http = new HttpClient { BaseAddress = new Uri(address) };

int failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    failures += ok ? 0 : 1;
}

using (HttpResponseMessage live = await Send(session.Id.ToString()))
{
    Check(live.StatusCode == HttpStatusCode.OK, "a live session reaches the endpoint");
}

await registry.EndAsync(session.Id, new QuotaReason());
using (HttpResponseMessage expired = await Send(session.Id.ToString()))
{
    string body = await expired.Content.ReadAsStringAsync();
    Check(expired.StatusCode == HttpStatusCode.NotFound, "an ended session gets 404");
    Check(expired.Headers.TryGetValues("X-Session-Expired-Reason", out var reason) && reason.Single() == "quota", "the reason header carries the custom code");
    Check(body.Contains("\"code\":\"SESSION_EXPIRED\"", StringComparison.Ordinal) && body.Contains("\"reason\":\"quota\"", StringComparison.Ordinal)
        && body.Contains("Session expired due to quota.", StringComparison.Ordinal), $"the body names the custom reason: {body}");
}

using (HttpResponseMessage unknown = await Send("never-issued"))
{
    Check(unknown.StatusCode == HttpStatusCode.NotFound
        && (await unknown.Content.ReadAsStringAsync()).Contains("SESSION_NOT_FOUND", StringComparison.Ordinal), "an unknown id gets 404 SESSION_NOT_FOUND");
}

await app.StopAsync();
Console.WriteLine(failures == 0 ? "consumer check passed" : $"consumer check failed: {failures} check(s)");
return failures == 0 ? 0 : 1;

Task<HttpResponseMessage> Send(string sessionId)
{
    var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
    request.Headers.Add("Mcp-Session-Id", sessionId);
    return http.SendAsync(request);
}

internal sealed class QuotaReason() : ExpiryReason("quota", "The account ran out of quota.");
