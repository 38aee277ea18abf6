using System.ComponentModel;
using AmiSim.Host.Cli;
using AmiSim.Host.Clustering;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// <c>amisim certs new --out DIR --nodes N</c>: a cluster's own CA (ca.pem, ca.key) and a certificate for
/// each of N nodes (node-K.pem, node-K.key), for TLS between nodes (--tls-cert, --tls-key, --tls-ca).
/// No file is ever overwritten; private keys are created readable by their owner only (0600).
/// </summary>
public sealed class CertsNewCommand : Command<CertsNewCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--out <DIR>")]
        [Description("Folder to write the CA and the node certificates into (made if missing; none of its files is overwritten).")]
        public string Out { get; init; } = "";

        [CommandOption("--nodes <N>")]
        [Description("Node certificates to make (default 3).")]
        [DefaultValue(3)]
        public int Nodes { get; init; } = 3;

        [CommandOption("--days <N>")]
        [Description("Days the certificates are valid (default 365).")]
        [DefaultValue(365)]
        public int Days { get; init; } = 365;

        [CommandOption("--host <HOST>")]
        [Description("A host name or address the nodes are reached at, written into each certificate; repeatable (default localhost and 127.0.0.1).")]
        public string[] Hosts { get; init; } = [];

        public override ValidationResult Validate() =>
            Out.Trim().Length == 0 ? ValidationResult.Error("--out is required: the folder to write the certificates into")
            : Nodes is < 1 or > 1000 ? ValidationResult.Error($"--nodes {Nodes}: expected 1 to 1000")
            : Days is < 1 or > 3650 ? ValidationResult.Error($"--days {Days}: expected 1 to 3650")
            : Hosts.FirstOrDefault(h => h.Trim().Length == 0 || h.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) is { } bad ? ValidationResult.Error($"--host '{bad}': not a host name or address")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var files = new[] { "ca.pem", "ca.key" }.Concat(Enumerable.Range(1, settings.Nodes).SelectMany(n => new[] { $"node-{n}.pem", $"node-{n}.key" }))
            .Select(f => Path.Combine(settings.Out, f)).ToList();
        if (File.Exists(settings.Out)) return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: a file, not a folder");
        if (files.FirstOrDefault(f => File.Exists(f) || Directory.Exists(f)) is { } taken)
            return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: {taken} exists; choose another folder (certificates and keys are never overwritten)");
        var hosts = settings.Hosts.Length > 0 ? settings.Hosts : ["localhost", "127.0.0.1"];
        var (authority, nodes) = ClusterCertificates.Make(settings.Nodes, settings.Days, hosts, DateTimeOffset.UtcNow);
        try
        {
            Directory.CreateDirectory(settings.Out);
            NewFiles.Write(files[0], authority.Certificate, NewFiles.Public);
            NewFiles.Write(files[1], authority.PrivateKey, NewFiles.Secret);
            for (var n = 0; n < nodes.Count; n++)
            {
                NewFiles.Write(files[2 + 2 * n], nodes[n].Certificate, NewFiles.Public);
                NewFiles.Write(files[3 + 2 * n], nodes[n].PrivateKey, NewFiles.Secret);
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return ErrorLine.Exit(ExitCode.BadInput, $"--out {settings.Out}: cannot be written ({error.Message})");
        }
        AnsiConsole.MarkupLineInterpolated($"cluster CA {Path.Combine(settings.Out, "ca.pem")} (its key ca.key: keep it off the nodes) and {nodes.Count} node certificates node-1.pem .. node-{nodes.Count}.pem with their keys, for {string.Join(", ", hosts)}, valid {settings.Days} days");
        AnsiConsole.MarkupLineInterpolated($"a node: --tls-cert {Path.Combine(settings.Out, "node-1.pem")} --tls-key {Path.Combine(settings.Out, "node-1.key")} --tls-ca {Path.Combine(settings.Out, "ca.pem")}");
        return ExitCode.Completed;
    }
}
