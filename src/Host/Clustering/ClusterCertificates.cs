using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AmiSim.Host.Clustering;

/// <summary>A certificate and its private key, as PEM.</summary>
public sealed record PemPair(string Certificate, string PrivateKey);

/// <summary>
/// A cluster's own certificate authority and its nodes' certificates, for trying TLS between nodes
/// (<c>amisim certs new</c>): ECDSA P-256; the CA signs certificates only; each node's certificate is for
/// both ends of a TLS connection (server and client authentication) and names the hosts it is given.
/// </summary>
public static class ClusterCertificates
{
    /// <summary>The CA and <paramref name="nodes"/> node certificates, valid from now for <paramref name="days"/>, each for <paramref name="hosts"/> (names or IP addresses).</summary>
    public static (PemPair Authority, IReadOnlyList<PemPair> Nodes) Make(int nodes, int days, IReadOnlyList<string> hosts, DateTimeOffset now)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=AmiSim cluster CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        var (notBefore, notAfter) = (now.AddMinutes(-5), now.AddDays(days));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);
        var list = new List<PemPair>();
        for (var n = 1; n <= nodes; n++)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN=AmiSim node {n}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, critical: true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
            var names = new SubjectAlternativeNameBuilder();
            foreach (var host in hosts)
                if (IPAddress.TryParse(host, out var address)) names.AddIpAddress(address);
                else names.AddDnsName(host);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
            var serial = BitConverter.GetBytes(n).Concat(RandomNumberGenerator.GetBytes(8)).ToArray();
            using var certificate = request.Create(ca, notBefore, notAfter, serial);
            list.Add(new PemPair(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem()));
        }
        return (new PemPair(ca.ExportCertificatePem(), caKey.ExportPkcs8PrivateKeyPem()), list);
    }
}
