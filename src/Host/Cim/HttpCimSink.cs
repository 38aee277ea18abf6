using System.Net.Http.Headers;
using System.Text;
using Akka.Event;
using AmiSim.Protocol;

namespace AmiSim.Host.Cim;

/// <summary>
/// POSTs each CIM message to a real external MDM's HTTP endpoint, retrying with backoff, and logs a
/// clear line when it gives up on the first message, then only counts (<see cref="LogSummary"/> says
/// how many). Runs on wall time beside the simulation: it never changes results. Of a reply it reads
/// the status line alone, and what it logs of it is made printable and cut.
/// </summary>
public sealed class HttpCimSink(Uri endpoint, HttpClient client, ILoggingAdapter log, int attempts = 4, TimeSpan? firstBackoff = null)
{
    private readonly TimeSpan _firstBackoff = firstBackoff ?? TimeSpan.FromMilliseconds(200);
    private int _posted;
    private int _undelivered;

    /// <summary>Messages given up on so far.</summary>
    public int Undelivered => Volatile.Read(ref _undelivered);

    /// <summary>Logs how many of the messages posted were not delivered, if more than the one already told.</summary>
    public void LogSummary()
    {
        if (Undelivered > 1) log.Warning("{0} of {1} CIM messages were not delivered to {2}", Undelivered, Volatile.Read(ref _posted), endpoint);
    }

    /// <summary>True when the endpoint answered 2xx; false after the last attempt failed (logged).</summary>
    public async Task<bool> PostAsync(string messageId, string xml, CancellationToken cancellation = default)
    {
        Interlocked.Increment(ref _posted);
        var backoff = _firstBackoff;
        string? last = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            try
            {
                using var content = new StringContent(xml, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/xml") { CharSet = "utf-8" };
                using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = content };
                // Only the status line and headers are read: a reply's body, of whatever size, is never buffered.
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
                if (response.IsSuccessStatusCode) return true;
                last = $"HTTP {(int)response.StatusCode} {OutsideText.Clean(response.ReasonPhrase, 100)}";
            }
            catch (HttpRequestException error)
            {
                last = OutsideText.Clean(error.Message);
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
        if (Interlocked.Increment(ref _undelivered) == 1)
            log.Warning("CIM message {0} was not delivered to {1} after {2} attempts: {3} (later failures are counted, not told)", messageId, endpoint, attempts, last);
        return false;
    }
}
