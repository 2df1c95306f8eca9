using System.CommandLine;
using Zrpc.Cli;

var root = new RootCommand("Client and reference server of the zrepl frame RPC protocol (2017). " + ExitCodes.HelpText)
{
    HelpName = "zrpc",
};
Zrpc.Build.ToolVersion.Install(root, "zrpc", "protocol profiles 6ab05ee (default) and fa4d209");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(CallCommand.Create());
root.Subcommands.Add(ClientDriverCommand.Create());

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"zrpc: {error.Message}");
    Console.Error.WriteLine("Run 'zrpc --help' or 'zrpc COMMAND --help' for usage.");
    return ExitCodes.Usage;
}

// The commands handle Ctrl-C and SIGTERM themselves so that they can stop cleanly (and, for serve,
// exit 0); the library's own handling would force its own exit code after a timeout.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
return await parsed.InvokeAsync(invocation);
