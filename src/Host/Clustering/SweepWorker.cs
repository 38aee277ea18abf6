using System.IO.Compression;
using Akka.Actor;
using AmiSim.Host.Run;

namespace AmiSim.Host.Clustering;

/// <summary>
/// A node's side of <c>amisim sweep --cluster</c>: takes runs (<see cref="SweepRunOrder"/>), runs each as
/// <c>amisim run</c> in a process of its own under a folder of its own in the temp folder, and sends the
/// finished folder back in acknowledged parts. A requester that goes away (the sweep ended or its node
/// left) has its run killed and its folder removed.
/// </summary>
public sealed class SweepWorker : ReceiveActor
{
    public const string Name = "sweep-worker";

    private sealed record Finished(string RunId, string? Why, string Log);

    private sealed class Job(IActorRef requester, string folder)
    {
        public IActorRef Requester { get; } = requester;
        public string Folder { get; } = folder;
        public CancellationTokenSource Cancel { get; } = new();
        public byte[]? Zip { get; set; }
        public int Parts { get; set; }
        public string Log { get; set; } = "";
    }

    private readonly Dictionary<string, Job> _jobs = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"amisim-node-{Environment.ProcessId}");

    public static Props Props() => Akka.Actor.Props.Create(() => new SweepWorker());

    public SweepWorker()
    {
        Receive<SweepWorkerQuery>(_ => Sender.Tell(new SweepWorkerReady(Math.Max(1, Environment.ProcessorCount))));
        Receive<SweepRunOrder>(Start);
        Receive<Finished>(Send);
        Receive<SweepRunPartReceived>(received =>
        {
            if (_jobs.TryGetValue(received.RunId, out var job) && job.Zip is not null) SendPart(received.RunId, job, received.Part + 1);
        });
        Receive<Terminated>(gone =>
        {
            foreach (var (id, job) in _jobs.Where(j => j.Value.Requester.Equals(gone.ActorRef)).ToList()) End(id, job);
        });
    }

    private void Start(SweepRunOrder order)
    {
        var folder = Path.Combine(_root, order.RunId);
        var job = new Job(Sender, folder);
        _jobs[order.RunId] = job;
        Context.Watch(Sender);
        var self = Self;
        _ = Task.Run(async () =>
        {
            try
            {
                Directory.CreateDirectory(folder);
                var scenario = order.ScenarioText is null ? null
                    : order.ScenarioPath is { } path && File.Exists(path) && await File.ReadAllTextAsync(path) == order.ScenarioText ? path
                    : Path.Combine(folder, order.ScenarioName ?? "scenario.conf");
                if (scenario is not null && !File.Exists(scenario)) await File.WriteAllTextAsync(scenario, order.ScenarioText);
                var run = Path.Combine(folder, "run");
                var log = Path.Combine(folder, "run.log");
                var why = await RunProcess.RunAsync(RunProcess.Arguments(scenario, order.Sets, order.Seed, run), run, log, job.Cancel.Token);
                var text = File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
                if (why is null)
                {
                    var zip = Path.Combine(folder, "run.zip");
                    ZipFile.CreateFromDirectory(run, zip, CompressionLevel.Fastest, includeBaseDirectory: false);
                    job.Zip = await File.ReadAllBytesAsync(zip);
                }
                self.Tell(new Finished(order.RunId, why, text.Length > 16_384 ? text[^16_384..] : text));
            }
            catch (OperationCanceledException)
            {
                // The requester went away; End has removed the job.
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                job.Zip = null;
                self.Tell(new Finished(order.RunId, $"the node could not run it: {error.Message}", ""));
            }
        });
    }

    private void Send(Finished finished)
    {
        if (!_jobs.TryGetValue(finished.RunId, out var job)) return;
        job.Log = finished.Log;
        if (finished.Why is not null || job.Zip is null)
        {
            job.Requester.Tell(new SweepRunEnded(finished.RunId, finished.Why ?? "no run folder", finished.Log));
            End(finished.RunId, job);
            return;
        }
        job.Parts = Math.Max(1, (job.Zip.Length + SweepRunPart.MaxBytes - 1) / SweepRunPart.MaxBytes);
        SendPart(finished.RunId, job, 0);
    }

    private void SendPart(string id, Job job, int part)
    {
        if (part >= job.Parts)
        {
            job.Requester.Tell(new SweepRunEnded(id, null, job.Log));
            End(id, job);
            return;
        }
        var offset = part * SweepRunPart.MaxBytes;
        job.Requester.Tell(new SweepRunPart(id, part, job.Parts, job.Zip![offset..Math.Min(job.Zip.Length, offset + SweepRunPart.MaxBytes)]));
    }

    private void End(string id, Job job)
    {
        _jobs.Remove(id);
        job.Cancel.Cancel();
        if (!_jobs.Values.Any(j => j.Requester.Equals(job.Requester))) Context.Unwatch(job.Requester);
        try
        {
            if (Directory.Exists(job.Folder)) Directory.Delete(job.Folder, recursive: true);
            if (_jobs.Count == 0) RemoveRootIfEmpty();
        }
        catch (IOException)
        {
            // The killed run's process may still hold a file for a moment; the temp folder is the system's to clear.
        }
    }

    private void RemoveRootIfEmpty()
    {
        if (Directory.Exists(_root) && !Directory.EnumerateFileSystemEntries(_root).Any()) Directory.Delete(_root);
    }

    protected override void PostStop()
    {
        foreach (var job in _jobs.Values) job.Cancel.Cancel();
        try
        {
            foreach (var job in _jobs.Values.Where(j => Directory.Exists(j.Folder))) Directory.Delete(job.Folder, recursive: true);
            RemoveRootIfEmpty();
        }
        catch (IOException)
        {
            // As in End.
        }
    }
}
