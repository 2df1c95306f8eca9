using Zrpc.Conformance.NUnit;

namespace ZrpcConformanceExample;

/// <summary>Lets Reqnroll's report formatters (reqnroll.json or REQNROLL_FORMATTERS) finish their files after the run.</summary>
[SetUpFixture]
public sealed class Reports : ConformanceReports;
