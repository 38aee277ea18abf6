using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;
using AmiSim.Host.Run;
using AmiSim.Protocol;

namespace AmiSim.Host.Clustering;

/// <summary>Where a node's TLS identity and trust come from, as the command line gives them (null: not given).</summary>
/// <param name="Cert">the node's certificate: PEM (with <paramref name="Key"/>) or PKCS#12 (.p12, .pfx) holding its key.</param>
/// <param name="Key">the PEM private key of a PEM <paramref name="Cert"/>.</param>
/// <param name="Ca">the cluster's own certificate authority (PEM): a peer's certificate must chain to it.</param>
/// <param name="Pins">SHA-1 thumbprints of the peer certificates accepted whatever their issuer.</param>
/// <param name="PasswordFile">a file whose first line is the PKCS#12 password (else the environment's AMISIM_TLS_PASSWORD).</param>
/// <param name="Insecure">plain TCP on an address other than loopback is allowed (and warned of).</param>
public sealed record TlsOptions(string? Cert, string? Key, string? Ca, IReadOnlyList<string> Pins, string? PasswordFile, bool Insecure)
{
    public static readonly TlsOptions None = new(null, null, null, [], null, false);

    /// <summary>The environment variable a PKCS#12 password is read from when no file is given (never from the command line).</summary>
    public const string PasswordVariable = "AMISIM_TLS_PASSWORD";
}

/// <summary>
/// Mutual TLS between cluster nodes (Akka.Remote's DotNetty transport): every node presents its own
/// certificate and accepts a peer only if the peer's certificate chains to the cluster's own CA (or its
/// thumbprint is pinned). A refused peer is logged with its address; it never joins, so no partition or
/// sweep run is handed to it.
/// </summary>
public sealed class ClusterTls
{
    private readonly X509Certificate2? _authority;
    private readonly HashSet<string> _pins;

    private ClusterTls(X509Certificate2 certificate, X509Certificate2? authority, IEnumerable<string> pins)
    {
        Certificate = certificate;
        _authority = authority;
        _pins = new HashSet<string>(pins.Select(Thumbprint), StringComparer.Ordinal);
    }

    /// <summary>This node's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The security of a command that may be a cluster node: none without <paramref name="cluster"/> (where TLS options are refused), else <see cref="For(string, TlsOptions)"/>.</summary>
    /// <exception cref="InputException">as <see cref="For(string, TlsOptions)"/>, or TLS options without --cluster.</exception>
    public static ClusterTls? For(bool cluster, string hostname, TlsOptions options) =>
        cluster ? For(hostname, options)
        : options == TlsOptions.None ? null
        : throw new InputException("--tls-cert, --tls-key, --tls-ca, --tls-pin, --tls-password-file and --insecure go with --cluster");

    /// <summary>The security a node runs with: TLS when a certificate is given; plain TCP on loopback; plain TCP elsewhere only when the user says --insecure.</summary>
    /// <returns>the TLS to use, or null for plain TCP.</returns>
    /// <exception cref="InputException">a file is missing or unreadable, trust is missing, or a non-loopback address without TLS was not allowed.</exception>
    public static ClusterTls? For(string hostname, TlsOptions options)
    {
        if (options.Cert is null)
        {
            if (options.Key is not null || options.Ca is not null || options.Pins.Count > 0 || options.PasswordFile is not null)
                throw new InputException("--tls-key, --tls-ca, --tls-pin and --tls-password-file go with --tls-cert (this node's certificate)");
            if (!IsLoopback(hostname) && !options.Insecure)
                throw new InputException($"--hostname {hostname}: a node on an address other than loopback talks TLS (--tls-cert and --tls-ca; `amisim certs new` makes them), or plain TCP only with --insecure, which lets anyone who reaches the port join");
            return null;
        }
        if (options.Insecure) throw new InputException("--insecure and --tls-cert: choose one (TLS, or plain TCP)");
        if (options.Ca is null && options.Pins.Count == 0)
            throw new InputException("--tls-cert needs whom to trust: --tls-ca (the cluster's CA, from `amisim certs new`) or --tls-pin THUMBPRINT");
        var certificate = LoadIdentity(options);
        var authority = options.Ca is null ? null : LoadAuthority(options.Ca);
        foreach (var pin in options.Pins)
            if (Thumbprint(pin).Length != 40 || !Thumbprint(pin).All(Uri.IsHexDigit))
                throw new InputException($"--tls-pin {OutsideText.Clean(pin, 80)}: expected a certificate's SHA-1 thumbprint, 40 hex digits");
        var tls = new ClusterTls(certificate, authority, options.Pins);
        if (tls.Why(certificate) is { } own) throw new InputException($"--tls-cert {options.Cert}: this node's own certificate would be refused by its peers ({own})");
        return tls;
    }

    /// <summary>Whether <paramref name="hostname"/> is this machine's loopback (127.0.0.0/8, ::1 or localhost).</summary>
    public static bool IsLoopback(string hostname) =>
        hostname.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(hostname, out var address) && IPAddress.IsLoopback(address);

    /// <summary>The transport's setup: mutual authentication, and every peer judged by <see cref="Why"/>; refusals logged with the peer's address.</summary>
    public DotNettySslSetup Setup() =>
        new(Certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false, customValidator: Validate);

    /// <summary>The HOCON that turns the transport's TLS on (the certificate itself comes from <see cref="Setup"/>).</summary>
    public const string Hocon = "akka.remote.dot-netty.tcp.enable-ssl = on";

    private bool Validate(X509Certificate2? certificate, X509Chain? chain, string remotePeer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        var why = certificate is null ? "it presented no certificate" : Why(certificate);
        if (why is null) return true;
        log.Warning("TLS: refused the peer at {0}: {1}", remotePeer, why);
        Serilog.Log.Warning("TLS: refused the peer at {Peer}: {Why}", remotePeer, why);
        return false;
    }

    /// <summary>Null when <paramref name="certificate"/> is trusted: pinned, or chaining to the cluster's CA; else why not.</summary>
    public string? Why(X509Certificate2 certificate)
    {
        if (_pins.Contains(certificate.Thumbprint)) return null;
        if (_authority is null) return $"its certificate {certificate.Subject} (thumbprint {certificate.Thumbprint}) is not pinned";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var valid = chain.Build(certificate);
        if (valid && chain.ChainElements[^1].Certificate.Thumbprint == _authority.Thumbprint) return null;
        var status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return $"its certificate {certificate.Subject}, issued by {certificate.Issuer}, does not chain to the cluster's CA {_authority.Subject}{(status.Length > 0 ? $" ({status})" : "")}";
    }

    private static string Thumbprint(string text) => text.Replace(":", "", StringComparison.Ordinal).Trim().ToUpperInvariant();

    private static X509Certificate2 LoadIdentity(TlsOptions options)
    {
        var file = options.Cert!;
        if (!File.Exists(file)) throw new InputException($"--tls-cert {file}: no such file");
        try
        {
            X509Certificate2 certificate;
            if (file.EndsWith(".p12", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase))
            {
                if (options.Key is not null) throw new InputException($"--tls-key: a PKCS#12 file ({file}) holds its key already");
                certificate = X509CertificateLoader.LoadPkcs12FromFile(file, Password(options));
            }
            else
            {
                if (options.Key is null) throw new InputException($"--tls-cert {file}: a PEM certificate needs its private key (--tls-key FILE)");
                if (!File.Exists(options.Key)) throw new InputException($"--tls-key {options.Key}: no such file");
                using var pem = X509Certificate2.CreateFromPemFile(file, options.Key);
                // Through PKCS#12, so that the TLS stack gets a key it can use on every platform.
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            if (!certificate.HasPrivateKey) throw new InputException($"--tls-cert {file}: holds no private key");
            if (DateTime.Now > certificate.NotAfter) throw new InputException($"--tls-cert {file}: expired on {certificate.NotAfter:yyyy-MM-dd}");
            return certificate;
        }
        catch (CryptographicException error)
        {
            throw new InputException($"--tls-cert {file}{(options.Key is null ? "" : $" with --tls-key {options.Key}")}: cannot be read ({error.Message.TrimEnd('.')}): a PEM certificate and its key, or a PKCS#12 file and its password");
        }
    }

    private static string? Password(TlsOptions options)
    {
        if (options.PasswordFile is null) return Environment.GetEnvironmentVariable(TlsOptions.PasswordVariable);
        if (!File.Exists(options.PasswordFile)) throw new InputException($"--tls-password-file {options.PasswordFile}: no such file");
        return File.ReadLines(options.PasswordFile).FirstOrDefault() ?? "";
    }

    private static X509Certificate2 LoadAuthority(string file)
    {
        if (!File.Exists(file)) throw new InputException($"--tls-ca {file}: no such file");
        try
        {
            var authority = X509CertificateLoader.LoadCertificateFromFile(file);
            var constraints = authority.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            if (constraints is not { CertificateAuthority: true }) throw new InputException($"--tls-ca {file}: {authority.Subject} is not a certificate authority");
            return authority;
        }
        catch (CryptographicException error)
        {
            throw new InputException($"--tls-ca {file}: not a certificate ({error.Message.TrimEnd('.')})");
        }
    }
}
