using System.Net;
using System.Net.Sockets;

namespace AmiSim.HeadEnd.Tests;

/// <summary>A TCP port on loopback that nothing listens on right now (for servers and cluster nodes started by tests).</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
