using System.CommandLine;
using Zrpc.Cli;

namespace Zrpc.SelfTest.Host;

/// <summary>The options --defect and --list-defects, as variants of zrpc's serve and client-driver.</summary>
internal static class DefectVariants
{
    public static CommandVariant<ServerChange> Server()
    {
        var (defect, list) = Options("Serve with one deliberate defect (the kit's self-test; see --list-defects). Never for real use.");
        return new CommandVariant<ServerChange>([defect, list],
            result => List(result, list, ServerDefects.Describe),
            result => result.GetValue(defect) is { } name ? Change(ServerDefects.Find(name)) : null);
    }

    public static CommandVariant<ClientChange> Client()
    {
        var (defect, list) = Options("Run the client with one deliberate defect (the kit's self-test; see --list-defects). Never for real use.");
        return new CommandVariant<ClientChange>([defect, list],
            result => List(result, list, ClientDefects.Describe),
            result => result.GetValue(defect) is { } name ? Change(ClientDefects.Find(name)) : null);
    }

    private static (Option<string?> Defect, Option<bool> List) Options(string description)
        => (new Option<string?>("--defect") { Description = description, HelpName = "name" },
            new Option<bool>("--list-defects") { Description = "Print the names of the defects --defect accepts, and exit." });

    private static int? List(ParseResult result, Option<bool> list, Func<string> describe)
    {
        if (!result.GetValue(list)) return null;
        Console.Out.Write(describe());
        return ExitCodes.Ok;
    }

    private static ServerChange Change(ServerDefect defect)
        => new($"serving with the deliberate defect '{defect.Name}': {defect.Description}",
            // A defect that ends the process ends this one, the way an uncaught error does.
            options => defect.ApplyTo(options, () => ServerDefect.CrashThisProcess($"defect {defect.Name}: the request header is JSON null")),
            defect.WrapListener);

    private static ClientChange Change(ClientDefect defect)
        => new($"running the client with the deliberate defect '{defect.Name}': {defect.Description}", defect.ApplyTo);
}
