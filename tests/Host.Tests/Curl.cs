using System.Diagnostics;

namespace AmiSim.Host.Tests;

/// <summary>curl, an HTTP client that is not the project's code, for tests of AmiSim's endpoints.</summary>
internal static class Curl
{
    /// <summary>POSTs <paramref name="body"/> (from a file, so that any size goes) and returns the status and the body of the answer.</summary>
    public static async Task<(int Status, string Body)> PostAsync(Uri url, string body, string contentType = "text/xml; charset=utf-8", string? soapAction = null)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, body);
            List<string> arguments = ["-s", "-S", "--max-time", "60", "-X", "POST", "-H", $"Content-Type: {contentType}", "--data-binary", "@" + file, "-w", "\n%{http_code}"];
            if (soapAction is not null) arguments.AddRange(["-H", $"SOAPAction: \"{soapAction}\""]);
            return await RunAsync([.. arguments, url.ToString()]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static Task<(int Status, string Body)> GetAsync(Uri url) => RunAsync(["-s", "-S", "--max-time", "60", "-w", "\n%{http_code}", url.ToString()]);

    private static async Task<(int Status, string Body)> RunAsync(string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("curl", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var cut = output.LastIndexOf('\n');
        if (process.ExitCode != 0 || cut < 0) throw new InvalidOperationException($"curl {string.Join(' ', arguments)} exited {process.ExitCode}: {error}");
        return (int.Parse(output[(cut + 1)..]), output[..cut]);
    }
}
