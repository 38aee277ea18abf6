using System.Reflection;
using Spectre.Console.Cli;

namespace AmiSim.Host.Cli;

/// <summary>
/// Refuses an option given without its value (<c>run --out</c> at the end of the line, or followed by
/// another option): the parser then fills it with the name of its default command, which a command
/// would take for a file name. Runs before every command.
/// </summary>
public sealed class MissingValues : ICommandInterceptor
{
    /// <summary>What the parser puts in an option whose value is missing.</summary>
    public const string Placeholder = "__default_command";

    public void Intercept(CommandContext context, CommandSettings settings)
    {
        foreach (var property in settings.GetType().GetProperties())
        {
            var given = property.GetValue(settings) switch
            {
                string text => text == Placeholder,
                string[] texts => texts.Contains(Placeholder),
                _ => false,
            };
            if (!given) continue;
            var name = property.GetCustomAttribute<CommandOptionAttribute>()?.LongNames.FirstOrDefault() is { } option ? "--" + option
                : property.GetCustomAttribute<CommandArgumentAttribute>()?.ValueName ?? property.Name;
            throw new UsageException($"{name} needs a value");
        }
    }
}

/// <summary>A command line that cannot be used (<see cref="ExitCode.BadInput"/>); the message says what is wrong.</summary>
public sealed class UsageException(string message) : Exception(message);
