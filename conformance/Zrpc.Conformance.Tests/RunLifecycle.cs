using NUnit.Framework;
using Zrpc.Conformance.Driver;

namespace Zrpc.Conformance.Tests;

/// <summary>Ends Reqnroll's test runs (AfterTestRun hooks, formatters) once all tests are done.</summary>
[SetUpFixture]
public sealed class RunLifecycle
{
    [OneTimeTearDown]
    public Task EndReqnrollRuns() => ReqnrollSession.EndAllAsync();
}
