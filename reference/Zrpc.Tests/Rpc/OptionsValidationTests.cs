using NUnit.Framework;
using Zrpc.Rpc;

namespace Zrpc.Tests.Rpc;

/// <summary>The options refuse a value out of range when it is set, naming the option.</summary>
public class OptionsValidationTests
{
    private static IEnumerable<TestCaseData> BadServerValues()
    {
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.ReadTimeout = TimeSpan.Zero), "ReadTimeout");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.IdleTimeout = TimeSpan.FromSeconds(-2)), "IdleTimeout");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.FirstRequestTimeout = TimeSpan.Zero), "FirstRequestTimeout");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.SendTimeout = TimeSpan.FromMilliseconds(-5)), "SendTimeout");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.ShutdownGrace = TimeSpan.FromSeconds(-1)), "ShutdownGrace");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.HangupWait = TimeSpan.FromSeconds(-1)), "HangupWait");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.MinRequestBodyRate = -1), "MinRequestBodyRate");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.MinRequestBodyRate = double.NaN), "MinRequestBodyRate");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.MaxJsonBody = 0), "MaxJsonBody");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.MaxJsonBodiesTotal = -1), "MaxJsonBodiesTotal");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.MaxConnections = 0), "MaxConnections");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.MaxJsonDepth = 0), "MaxJsonDepth");
        yield return new TestCaseData((Action<RpcServerOptions>)(o => o.Profile = (Profile)77), "Profile");
    }

    [TestCaseSource(nameof(BadServerValues))]
    public void ServerOptions_RefuseAnOutOfRangeValue(Action<RpcServerOptions> set, string option)
    {
        var options = new RpcServerOptions();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => set(options));
        Assert.That(e!.ParamName, Is.EqualTo(option));
        Assert.That(e.Message, Does.StartWith(option + " must be"));
    }

    [Test]
    public void ClientOptions_RefuseAnOutOfRangeValue()
    {
        var options = new RpcClientOptions();
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => options.CallTimeout = TimeSpan.Zero)!.ParamName, Is.EqualTo("CallTimeout"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => options.ReadTimeout = TimeSpan.FromSeconds(-1))!.ParamName, Is.EqualTo("ReadTimeout"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxJsonBody = 0)!.ParamName, Is.EqualTo("MaxJsonBody"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => options.CloseTimeout = TimeSpan.FromSeconds(-1))!.ParamName, Is.EqualTo("CloseTimeout"));
    }

    [Test]
    public void NoLimit_AndTheEdgesOfTheRanges_AreAccepted()
    {
        var server = new RpcServerOptions
        {
            ReadTimeout = Timeout.InfiniteTimeSpan,
            IdleTimeout = Timeout.InfiniteTimeSpan,
            ShutdownGrace = TimeSpan.Zero,
            HangupWait = TimeSpan.Zero,
            MinRequestBodyRate = 0,
            MaxJsonBody = 1,
            MaxConnections = 1,
        };
        var client = new RpcClientOptions { CallTimeout = Timeout.InfiniteTimeSpan, MaxJsonBody = 1, CloseTimeout = TimeSpan.Zero };
        Assert.That((server.ReadTimeout, server.ShutdownGrace, server.MaxJsonBody, client.CallTimeout, client.MaxJsonBody),
            Is.EqualTo((Timeout.InfiniteTimeSpan, TimeSpan.Zero, 1L, Timeout.InfiniteTimeSpan, 1L)));
    }
}
