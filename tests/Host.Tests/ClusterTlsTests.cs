using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using AmiSim.Host.Clustering;
using AmiSim.Host.Run;
using Xunit;

namespace AmiSim.Host.Tests;

/// <summary>TLS between cluster nodes: the certificates `certs new` makes, whom a node trusts, the safe default, and a run over real TLS nodes on loopback.</summary>
[Collection("runs")]
public sealed partial class ClusterTlsTests : IDisposable
{
    private static readonly string Small = Path.Combine(AppContext.BaseDirectory, "scenarios", "small.conf");
    private readonly string _dir = Directory.CreateTempSubdirectory("amisim-tls-").FullName;
    private readonly AmisimProcesses _processes = new();

    public void Dispose()
    {
        _processes.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<string> Certs(string name, int nodes)
    {
        var folder = Path.Combine(_dir, name);
        var (code, _, error) = await CommandLine.RunAsync(["certs", "new", "--out", folder, "--nodes", nodes.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(code == ExitCode.Completed, error);
        return folder;
    }

    private static TlsOptions Node(string certs, int n, string? ca = null) =>
        TlsOptions.None with { Cert = Path.Combine(certs, $"node-{n}.pem"), Key = Path.Combine(certs, $"node-{n}.key"), Ca = ca ?? Path.Combine(certs, "ca.pem") };

    [Fact]
    public async Task A_node_trusts_the_certificates_of_its_own_CA_or_pinned_and_no_other()
    {
        var ours = await Certs("ours", 2);
        var theirs = await Certs("theirs", 1);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(ours, "node-1.key")) & (UnixFileMode)0x1FF);
        var tls = ClusterTls.For("127.0.0.1", Node(ours, 1))!;
        using var peer = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(ours, "node-2.pem"));
        using var stranger = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(theirs, "node-1.pem"));

        Assert.Null(tls.Why(peer));
        Assert.Contains("does not chain to the cluster's CA", tls.Why(stranger));
        var pinned = ClusterTls.For("127.0.0.1", Node(ours, 1) with { Pins = [stranger.Thumbprint] })!;
        Assert.Null(pinned.Why(stranger));

        // A certificate of another CA is refused at its own node's start, naming why.
        var error = Assert.Throws<InputException>(() => ClusterTls.For("127.0.0.1", Node(theirs, 1, ca: Path.Combine(ours, "ca.pem"))));
        Assert.Contains("would be refused by its peers", error.Message);
        Assert.Contains("exists", (await CommandLine.RunAsync(["certs", "new", "--out", ours, "--nodes", "1"])).Error); // never overwritten
    }

    [Theory]
    [InlineData("node --port 0 --seed-nodes akka.tcp://amisim@10.1.2.3:4051 --hostname 10.1.2.3", "a node on an address other than loopback talks TLS")]
    [InlineData("node --port 0 --seed-nodes akka.tcp://amisim@127.0.0.1:4051 --tls-cert {dir}/none.pem --tls-key {dir}/none.key --tls-ca {dir}/none.pem", "--tls-cert {dir}/none.pem: no such file")]
    [InlineData("node --port 0 --seed-nodes akka.tcp://amisim@127.0.0.1:4051 --tls-ca {dir}/ca.pem", "go with --tls-cert")]
    [InlineData("run --out {dir}/r --tls-ca {dir}/ca.pem", "go with --cluster")]
    [InlineData("run --out {dir}/r --cluster --hostname 10.1.2.3", "a node on an address other than loopback talks TLS")]
    public async Task Insecure_or_incomplete_cluster_security_is_refused_before_anything_starts(string arguments, string message)
    {
        var (code, _, error) = await CommandLine.RunAsync(arguments.Replace("{dir}", _dir, StringComparison.Ordinal).Split(' '));

        Assert.Equal(ExitCode.BadInput, code);
        Assert.Contains(message.Replace("{dir}", _dir, StringComparison.Ordinal), error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "r")));
    }

    [GeneratedRegex(@"result digest ([0-9a-f]{64})")]
    private static partial Regex DigestLine();

    [GeneratedRegex(@"node (akka\.ssl\.tcp://amisim@127\.0\.0\.1:\d+|akka\.tcp://amisim@127\.0\.0\.1:\d+) joining")]
    private static partial Regex NodeLine();

    [Fact]
    public async Task Three_nodes_with_certificates_from_certs_new_give_the_one_process_digest_and_strangers_cannot_join()
    {
        var certs = await Certs("cluster", 3);
        var theirs = await Certs("theirs", 1);
        var (alone, single, _) = await CommandLine.RunAsync(["run", "--scenario", Small, "--out", Path.Combine(_dir, "one")]);
        Assert.Equal(ExitCode.Completed, alone);

        var port = HeadEnd.Tests.LoopbackPort.Free();
        var seed = $"akka.tcp://amisim@127.0.0.1:{port}";
        string[] Tls(string folder, int n) => ["--tls-cert", Path.Combine(folder, $"node-{n}.pem"), "--tls-key", Path.Combine(folder, $"node-{n}.key"), "--tls-ca", Path.Combine(folder, "ca.pem")];
        async Task<string> Node(params string[] arguments)
        {
            var node = _processes.Start(["node", "--port", "0", "--seed-nodes", seed, .. arguments]);
            _ = node.StandardError.ReadToEndAsync();
            var address = NodeLine().Match(await node.StandardOutput.ReadLineAsync() ?? "").Groups[1].Value;
            _ = node.StandardOutput.ReadToEndAsync();
            return address;
        }
        // Strangers first, trying all along: a node with another CA's certificate and one without TLS.
        var foreign = await Node(Tls(theirs, 1));
        var plain = await Node();
        foreach (var n in new[] { 2, 3 }) await Node(Tls(certs, n));
        var run = _processes.Start(["run", "--scenario", Small, "--out", Path.Combine(_dir, "three"), "--cluster", "--nodes", "3", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. Tls(certs, 1)]);
        var output = run.StandardOutput.ReadToEndAsync();
        var errors = run.StandardError.ReadToEndAsync();
        // And a client that speaks plain TCP, not TLS: the node hangs up on it.
        using (var client = new System.Net.Sockets.TcpClient())
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!client.Connected && waited.Elapsed < TimeSpan.FromSeconds(30))
                try { await client.ConnectAsync(System.Net.IPAddress.Loopback, port); } catch (System.Net.Sockets.SocketException) { await Task.Delay(200); }
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\n\r\n" + new string('x', 512)));
            using var hangUp = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var buffer = new byte[4096];
            int read;
            try
            {
                do read = await stream.ReadAsync(buffer, hangUp.Token); while (read > 0);
            }
            catch (IOException)
            {
                read = 0; // reset by the node: hung up as well
            }
            Assert.Equal(0, read);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5)); // wall clock: waiting for other processes
        await run.WaitForExitAsync(timeout.Token);

        Assert.True(run.ExitCode == ExitCode.Completed, $"{await output} {await errors}");
        Assert.Equal(DigestLine().Match(single).Groups[1].Value, DigestLine().Match(await output).Groups[1].Value);
        var log = await File.ReadAllTextAsync(Path.Combine(_dir, "three", "amisim.log"));
        var members = Regex.Match(log, "Cluster of 3 nodes: (.*)").Groups[1].Value;
        Assert.Equal(3, Regex.Matches(members, "akka.ssl.tcp://amisim@127.0.0.1:").Count);
        Assert.NotEmpty(foreign);
        Assert.NotEmpty(plain);
        Assert.DoesNotMatch($@":{foreign[(foreign.LastIndexOf(':') + 1)..]}\b", members);
        Assert.DoesNotMatch($@":{plain[(plain.LastIndexOf(':') + 1)..]}\b", members);
        Assert.Contains("TLS: refused the peer at", log); // the certificate of another CA
    }
}
