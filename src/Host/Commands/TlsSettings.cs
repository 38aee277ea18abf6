using System.ComponentModel;
using AmiSim.Host.Clustering;
using Spectre.Console.Cli;

namespace AmiSim.Host.Commands;

/// <summary>
/// How a cluster node secures its port: the options of <c>node</c> and <c>sweep --cluster</c> (<c>run</c>,
/// whose settings are the scenario's, declares the same ones). The password of a PKCS#12 file is never an
/// option: it comes from a file or the environment.
/// </summary>
public abstract class TlsSettings : CommandSettings
{
    public const string CertHelp = "TLS between the nodes: this node's certificate, PEM (with --tls-key) or PKCS#12 (.p12/.pfx; its password from --tls-password-file or AMISIM_TLS_PASSWORD). `amisim certs new` makes them.";
    public const string KeyHelp = "The PEM private key of --tls-cert.";
    public const string CaHelp = "The cluster's CA (PEM): a node is let in only if its certificate chains to it.";
    public const string PinHelp = "Also let in the node whose certificate has this SHA-1 thumbprint; repeatable.";
    public const string PasswordHelp = "A file whose first line is the PKCS#12 password of --tls-cert.";
    public const string InsecureHelp = "Allow plain TCP on an address other than loopback (anyone who reaches the port can join): warned of.";

    [CommandOption("--tls-cert <FILE>")]
    [Description(CertHelp)]
    public string? TlsCert { get; init; }

    [CommandOption("--tls-key <FILE>")]
    [Description(KeyHelp)]
    public string? TlsKey { get; init; }

    [CommandOption("--tls-ca <FILE>")]
    [Description(CaHelp)]
    public string? TlsCa { get; init; }

    [CommandOption("--tls-pin <THUMBPRINT>")]
    [Description(PinHelp)]
    public string[] TlsPin { get; init; } = [];

    [CommandOption("--tls-password-file <FILE>")]
    [Description(PasswordHelp)]
    public string? TlsPasswordFile { get; init; }

    [CommandOption("--insecure")]
    [Description(InsecureHelp)]
    public bool Insecure { get; init; }

    public TlsOptions Tls => new(TlsCert, TlsKey, TlsCa, TlsPin, TlsPasswordFile, Insecure);
}
