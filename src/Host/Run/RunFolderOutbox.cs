using System.Collections.Concurrent;
using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Cim;
using AmiSim.Kernel;

namespace AmiSim.Host.Run;

/// <summary>Writes every CIM message of a run to the run folder (cim/, one file per message) and optionally POSTs it to an external MDM.</summary>
public sealed class RunFolderOutbox(string directory, HttpCimSink? http) : ICimOutbox
{
    private readonly ConcurrentQueue<Task> _posts = new();

    public int Written { get; private set; }

    public void Sent(string messageId, string xml, SimTime at)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, messageId + ".xml"), xml);
        Written++;
        if (http is not null) _posts.Enqueue(http.PostAsync(messageId, xml));
    }

    /// <summary>Waits for the HTTP deliveries still going on, and says how many failed.</summary>
    public async Task FlushAsync()
    {
        await Task.WhenAll(_posts);
        http?.LogSummary();
    }
}
