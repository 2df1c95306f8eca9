using Reqnroll;
using Reqnroll.UnitTestProvider;

namespace Zrpc.Conformance.Driver;

/// <summary>
/// Maps Reqnroll's pending / inconclusive / ignore requests to exceptions the driver classifies
/// itself. Undefined and pending steps become <see cref="StepNotRunnableException"/>, which the
/// driver reports as a FAILURE: a scenario whose steps cannot run has not shown conformance.
/// </summary>
public sealed class ConformanceUnitTestRuntimeProvider : IUnitTestRuntimeProvider
{
    public void TestPending(string message) => throw new StepNotRunnableException(message);

    public void TestInconclusive(string message) => throw new StepNotRunnableException(message);

    public void TestIgnore(string message) => throw new ScenarioSkippedException(message);

    public ScenarioExecutionStatus? DetectExecutionStatus(Exception exception) => exception switch
    {
        ScenarioSkippedException => ScenarioExecutionStatus.Skipped,
        NUnit.Framework.IgnoreException => ScenarioExecutionStatus.Skipped,
        NUnit.Framework.InconclusiveException => ScenarioExecutionStatus.Skipped,
        _ => null,
    };
}

/// <summary>A step is undefined, ambiguous or pending: the scenario fails.</summary>
public sealed class StepNotRunnableException(string message) : Exception(message);

/// <summary>
/// Thrown by a binding to SKIP a scenario (for example when the target cannot take part in it);
/// the message says why and is shown in the report.
/// </summary>
public sealed class ScenarioSkippedException(string message) : Exception(message);
