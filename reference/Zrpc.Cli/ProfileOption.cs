using System.CommandLine;
using Zrpc.Rpc;

namespace Zrpc.Cli;

/// <summary>The --profile option of serve and call: which protocol profile the connection speaks (never guessed).</summary>
internal static class ProfileOption
{
    public static Option<string> Create(string role) => new("--profile")
    {
        Description = $"Protocol profile {role}: 6ab05ee (spec/protocol.md) or fa4d209 (released zrepl 0.0.1-0.0.3: " +
                      "DataType Control 2, JSON 3, Octets 4, Close handshake, RST at teardown; spec/profile-fa4d209.md).",
        DefaultValueFactory = _ => "6ab05ee",
        HelpName = "6ab05ee|fa4d209",
    };

    /// <summary>The chosen profile, or null after printing a usage error naming <paramref name="command"/>.</summary>
    public static Profile? Read(ParseResult result, Option<string> option, string command)
    {
        try
        {
            return Profiles.Parse(result.GetValue(option) ?? "6ab05ee");
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"zrpc {command}: --profile: {e.Message.Split(" (Parameter")[0]}");
            return null;
        }
    }
}
