using AmiSim.Kernel;
using MemoryPack;

namespace AmiSim.Host.Clustering;

// The messages between `amisim sweep --cluster` and the sweep workers of the cluster's nodes
// (SweepWorker, at /user/sweep-worker on every node). A run goes to a node whole: the node runs it as
// `amisim run` in a process of its own and sends the run folder back, zipped, in parts of at most
// SweepRunPart.MaxBytes, each acknowledged before the next (so a large folder never floods the link).

/// <summary>How many runs at once the node takes (asked by the sweep when the node is up).</summary>
[MemoryPackable]
public sealed partial record SweepWorkerQuery(int Version) : IBinarySerialized;

/// <summary>The node's answer: it takes up to <paramref name="Slots"/> runs at once.</summary>
[MemoryPackable]
public sealed partial record SweepWorkerReady(int Slots) : IBinarySerialized;

/// <summary>
/// Run this: the scenario (<paramref name="ScenarioText"/> null: the embedded default; the node uses
/// <paramref name="ScenarioPath"/> when it holds that same text, so the files the scenario names
/// resolve as on the sweep's machine, else a copy of the text named <paramref name="ScenarioName"/>),
/// <c>--set</c> <paramref name="Sets"/>, seed <paramref name="Seed"/>. The sender receives the parts and the end.
/// </summary>
[MemoryPackable]
public sealed partial record SweepRunOrder(string RunId, string? ScenarioName, string? ScenarioPath, string? ScenarioText, string[] Sets, long Seed) : IBinarySerialized;

/// <summary>Part <paramref name="Part"/> (from 0) of <paramref name="Parts"/> of the finished run's folder as a zip archive.</summary>
[MemoryPackable]
public sealed partial record SweepRunPart(string RunId, int Part, int Parts, byte[] Bytes) : IBinarySerialized
{
    public const int MaxBytes = 96 * 1024;
}

/// <summary>The sweep has written part <paramref name="Part"/>: the node sends the next.</summary>
[MemoryPackable]
public sealed partial record SweepRunPartReceived(string RunId, int Part) : IBinarySerialized;

/// <summary>
/// The run is over: <paramref name="Why"/> null, it finished and every part was sent; else why it did
/// not. <paramref name="Log"/> is the end of what the run wrote to its console.
/// </summary>
[MemoryPackable]
public sealed partial record SweepRunEnded(string RunId, string? Why, string Log) : IBinarySerialized;
