using AmiSim.HeadEnd.Campaign;
using AmiSim.Host.Cim;
using AmiSim.Kernel;

namespace AmiSim.Host.Run;

/// <summary>Writes every CIM message of a run to the run folder (cim/, one file per message) and optionally sends it to an external MDM (<see cref="CimServiceClient"/>).</summary>
public sealed class RunFolderOutbox(string directory, CimServiceClient? mdm) : ICimOutbox
{
    public int Written { get; private set; }

    public void Sent(string messageId, string xml, SimTime at)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, messageId + ".xml"), xml);
        Written++;
        mdm?.Send(messageId, xml);
    }

    /// <summary>Waits up to <paramref name="patience"/> for the external MDM to answer what it has not; null without one.</summary>
    public async Task<MdmDeliveryReport?> FlushAsync(TimeSpan patience) => mdm is null ? null : await mdm.FinishAsync(patience);
}
