using System.CommandLine;
using Zrpc.Cli;
using Zrpc.SelfTest;
using Zrpc.SelfTest.Host;

// The runner's own command line, with the mutants' target kinds registered; it parses its
// arguments itself, so they are handed over untouched.
if (args.Length > 0 && args[0] == "conformance")
{
    // Only here: serve and client-driver start as quickly as zrpc's, without the runner's code.
    SelfTestTargets.Register();
    // A replay of reference+defect:NAME needs this host: the runner alone knows no such target.
    Zrpc.Conformance.Runner.RunSettings.DefaultReplayPrefix = "dotnet run --project conformance/SelfTest/Zrpc.SelfTest.Host -- conformance";
    return await Zrpc.Conformance.Runner.ConformanceCli.RunAsync(args[1..], Console.Out, Console.Error);
}

var root = new RootCommand("The conformance kit's self-test: the reference server and client of zrpc, each with one deliberate defect the kit must catch " +
                           "(docs/self-test.md), and the runner with them as targets. Never for real use. " +
                           "serve and client-driver exit as zrpc's commands do, conformance as zrpc-conformance does.")
{
    HelpName = "zrpc-selftest",
};
Zrpc.Build.ToolVersion.Install(root, "zrpc-selftest", "protocol profiles 6ab05ee (default) and fa4d209");
root.Subcommands.Add(ServeCommand.Create("zrpc-selftest", DefectVariants.Server()));
root.Subcommands.Add(ClientDriverCommand.Create("zrpc-selftest", DefectVariants.Client()));
root.Subcommands.Add(new Command("conformance",
    "zrpc-conformance with two more kinds of --target: reference+defect:NAME (the in-process reference server with a server defect, see serve --list-defects) " +
    "and reference-client+defect:NAME (a client driver with a client defect, see client-driver --list-defects). Every other argument is zrpc-conformance's."));

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"zrpc-selftest: {error.Message}");
    Console.Error.WriteLine("Run 'zrpc-selftest --help' or 'zrpc-selftest COMMAND --help' for usage.");
    return ExitCodes.Usage;
}

// As in zrpc: the commands handle Ctrl-C and SIGTERM themselves.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
return await parsed.InvokeAsync(invocation);
