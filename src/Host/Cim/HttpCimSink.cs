using System.Net.Http.Headers;
using System.Text;
using Akka.Event;

namespace AmiSim.Host.Cim;

/// <summary>
/// POSTs each CIM message to a real external MDM's HTTP endpoint, retrying with backoff, and logs a
/// clear line when it gives up. Runs on wall time beside the simulation: it never changes results.
/// </summary>
public sealed class HttpCimSink(Uri endpoint, HttpClient client, ILoggingAdapter log, int attempts = 4, TimeSpan? firstBackoff = null)
{
    private readonly TimeSpan _firstBackoff = firstBackoff ?? TimeSpan.FromMilliseconds(200);

    /// <summary>True when the endpoint answered 2xx; false after the last attempt failed (logged).</summary>
    public async Task<bool> PostAsync(string messageId, string xml, CancellationToken cancellation = default)
    {
        var backoff = _firstBackoff;
        string? last = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            try
            {
                using var content = new StringContent(xml, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/xml") { CharSet = "utf-8" };
                using var response = await client.PostAsync(endpoint, content, cancellation);
                if (response.IsSuccessStatusCode) return true;
                last = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (HttpRequestException error)
            {
                last = error.Message;
            }
            catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
            {
                last = "timed out";
            }
            if (attempt < attempts)
            {
                await Task.Delay(backoff, cancellation); // wall-clock retry of an external endpoint, not simulated time
                backoff *= 2;
            }
        }
        log.Warning("CIM message {0} was not delivered to {1} after {2} attempts: {3}", messageId, endpoint, attempts, last);
        return false;
    }
}
