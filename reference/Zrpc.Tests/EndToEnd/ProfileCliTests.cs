using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.EndToEnd;

/// <summary>`zrpc serve --profile` and `zrpc call --profile` over a child process's stdin/stdout.</summary>
[TestFixture]
[Category("EndToEnd")]
public sealed class ProfileCliTests
{
    private static string Server(string profile)
        => TransportAddress.Exec(CliProcess.DotnetHost, [CliProcess.CliDll, "serve", "--listen", "stdio", "--profile", profile]).ToString();

    [Test, Category("FACTS-1"), Category("FACLI-1")]
    public async Task Fa4d209_call_to_a_fa4d209_server_echoes_and_closes_with_the_handshake()
    {
        var result = await CliProcess.RunAsync("call", "--connect", Server("fa4d209"), "--profile", "fa4d209", "-v", "Echo", "--json", "{\"a\":1}");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stderr, Does.Contain("\"DataType\":3,\"Accept\":3"), "the request carries fa4d209 numbers");
        Assert.That(result.Stderr, Does.Contain("Close answered OK"));
        Assert.That(result.Stderr, Does.Not.Contain("warning"));
    }

    [Test, Category("FASRV-2")]
    public async Task A_6ab05ee_call_to_a_fa4d209_server_fails_as_a_control_request()
    {
        var result = await CliProcess.RunAsync("call", "--connect", Server("fa4d209"), "--profile", "6ab05ee", "Echo", "--json", "1");
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("unregistered control endpoint Echo"));
    }

    [Test, Category("FACTS-1"), Category("FACLI-3")]
    public async Task The_client_driver_speaks_fa4d209_and_a_mismatch_fails_visibly()
    {
        byte[] script = "{\"calls\":[{\"endpoint\":\"Echo\",\"accept\":\"json\",\"json\":{\"a\":1}}]}"u8.ToArray();
        var same = await CliProcess.RunAsync(["client-driver", "--connect", Server("fa4d209"), "--profile", "fa4d209"], script);
        Assert.That(same.ExitCode, Is.Zero, same.ToString());
        Assert.That(same.StdoutText, Does.Contain("\"outcome\":\"ok\""), same.StdoutText);

        var mismatch = await CliProcess.RunAsync(["client-driver", "--connect", Server("6ab05ee"), "--profile", "fa4d209"], script);
        Assert.That(mismatch.ExitCode, Is.Zero, mismatch.ToString());
        Assert.That(mismatch.StdoutText, Does.Contain("wrong DataType"), mismatch.StdoutText);
    }

    [Test]
    public async Task An_unknown_profile_is_a_usage_error()
    {
        var result = await CliProcess.RunAsync("call", "--connect", "tcp://127.0.0.1:1", "--profile", "0.0.3", "Echo", "--json", "1");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain("unknown profile '0.0.3'"));
        var serve = await CliProcess.RunAsync("serve", "--listen", "tcp://127.0.0.1:0", "--profile", "7");
        Assert.That(serve.ExitCode, Is.EqualTo(2), serve.ToString());
        Assert.That(serve.Stderr, Does.Contain("--profile"));
    }
}
