namespace AmiSim.Host.Cli;

/// <summary>Files a command makes that must never replace another: keys and certificates.</summary>
public static class NewFiles
{
    /// <summary>Readable and writable by the owner only: a private key's mode from its first byte.</summary>
    public const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Readable by all, writable by the owner: a public key's or a certificate's.</summary>
    public const UnixFileMode Public = Secret | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Creates <paramref name="path"/> (failing if it exists) with <paramref name="mode"/> on Unix (less the umask), and writes <paramref name="text"/>.</summary>
    public static void Write(string path, string text, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
        writer.Write(text);
    }
}
