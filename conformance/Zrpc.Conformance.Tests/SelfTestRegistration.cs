using System.Runtime.CompilerServices;

namespace Zrpc.Conformance.Tests;

/// <summary>
/// The kit's own tests run the mutants as the self-test host does: their target kinds
/// (reference+defect:NAME, reference-client+defect:NAME) are registered before any test, or any
/// test case source, parses a target.
/// </summary>
internal static class SelfTestRegistration
{
#pragma warning disable CA2255 // A test assembly is the application here: the registration must precede NUnit's discovery.
    [ModuleInitializer]
    internal static void Register() => Zrpc.SelfTest.SelfTestTargets.Register();
#pragma warning restore CA2255
}
