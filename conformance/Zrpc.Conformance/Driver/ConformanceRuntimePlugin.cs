using Reqnroll.Plugins;
using Reqnroll.Tracing;
using Reqnroll.UnitTestProvider;
using Zrpc.Conformance.Driver;

[assembly: RuntimePlugin(typeof(ConformanceRuntimePlugin))]

namespace Zrpc.Conformance.Driver;

/// <summary>
/// Tells Reqnroll's runtime how to report pending/ignored outcomes and where step traces go. The
/// runtime refuses to start without a unit-test provider; there is no Reqnroll.NUnit package
/// here, so the driver brings its own under the name "nunit". An assembly that uses this driver
/// with its own bindings declares <c>[assembly: RuntimePlugin(typeof(ConformanceRuntimePlugin))]</c>.
/// </summary>
public sealed class ConformanceRuntimePlugin : IRuntimePlugin
{
    public const string ProviderName = "nunit";

    public void Initialize(RuntimePluginEvents runtimePluginEvents, RuntimePluginParameters runtimePluginParameters, UnitTestProviderConfiguration unitTestProviderConfiguration)
    {
        runtimePluginEvents.RegisterGlobalDependencies += (_, e) =>
            e.ObjectContainer.RegisterTypeAs<ConformanceUnitTestRuntimeProvider, IUnitTestRuntimeProvider>(ProviderName);
        runtimePluginEvents.CustomizeTestThreadDependencies += (_, e) =>
            e.ObjectContainer.RegisterTypeAs<ScenarioTraceListener, ITraceListener>();
        unitTestProviderConfiguration.UseUnitTestProvider(ProviderName);
    }
}
