using Zrpc.Conformance.Adapters;

namespace Zrpc.SelfTest;

/// <summary>
/// The mutants as target kinds of the runner: <c>reference+defect:NAME</c> (the in-process
/// reference server with one server defect) and <c>reference-client+defect:NAME</c> (the
/// self-test host's client driver with one client defect). Only the self-test host and the kit's
/// own tests register them; the shipped runner knows neither.
/// </summary>
public static class SelfTestTargets
{
    /// <summary>The self-test host's assembly, whose <c>client-driver --defect NAME</c> runs a client mutant.</summary>
    public const string HostAssemblyFile = "zrpc-selftest.dll";

    /// <summary>Adds both kinds to <see cref="TargetParser"/> (again is harmless).</summary>
    public static void Register()
    {
        TargetParser.RegisterServerKind(ServerDefect.TargetPrefix,
            (text, name) => new ReferenceServerSpec(text, ServerDefects.Find(name)));
        TargetParser.RegisterClientKind(ClientDefect.TargetPrefix, (text, name) =>
        {
            var defect = ClientDefects.Find(name);
            return new ReferenceClientSpec(text, HostAssembly(), ["--defect", defect.Name], $"reference client with defect {defect.Name}");
        });
    }

    /// <summary>zrpc-selftest.dll beside the running kit, else the repository's newest build of the host.</summary>
    public static string HostAssembly()
        => BuiltAssembly.Locate(HostAssemblyFile, Path.Combine("conformance", "SelfTest", "Zrpc.SelfTest.Host"), "dotnet build conformance/SelfTest/Zrpc.SelfTest.Host");
}
