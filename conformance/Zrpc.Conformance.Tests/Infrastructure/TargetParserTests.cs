using NUnit.Framework;
using Zrpc.Conformance.Adapters;
using Zrpc.Conformance.ClientRole;
using Zrpc.Conformance.Steps.Wire;
using Zrpc.SelfTest;
using Zrpc.Transport;

namespace Zrpc.Conformance.Tests.Infrastructure;

/// <summary>--target is parsed once into a kind; each kind, and what a bad text is told.</summary>
public sealed class TargetParserTests
{
    [TestCase(null)]
    [TestCase("reference")]
    [TestCase("builtin")]
    [TestCase("in-process")]
    public void The_reference_words_name_the_built_in_server(string? text)
    {
        var spec = TargetParser.ParseServer(text);
        Assert.That(spec, Is.TypeOf<ReferenceServerSpec>());
        Assert.That(((ReferenceServerSpec)spec).Variant, Is.Null);
        Assert.That(spec.Text, Is.EqualTo(text));
    }

    [TestCase("tcp://127.0.0.1:9000", TransportKind.Tcp)]
    [TestCase("unix:///tmp/zrpc.sock", TransportKind.Unix)]
    public void A_socket_address_is_a_transport_target(string text, TransportKind kind)
    {
        var spec = TargetParser.ParseServer(text);
        Assert.That(spec, Is.TypeOf<TransportAddressSpec>());
        Assert.That(((TransportAddressSpec)spec).Address.Kind, Is.EqualTo(kind));
    }

    [Test]
    public void An_exec_command_in_the_server_role_is_a_server_started_per_connection()
    {
        var spec = TargetParser.ParseServer("exec:my-server --listen stdio");
        Assert.That(spec, Is.TypeOf<ExecServerSpec>());
        Assert.That(((ExecServerSpec)spec).Address.Command, Is.EqualTo("my-server"));
    }

    [Test]
    public void A_registered_defect_kind_is_the_reference_server_with_that_variant()
    {
        var spec = TargetParser.ParseServer("reference+defect:rst-ignored");
        Assert.That(spec, Is.TypeOf<ReferenceServerSpec>());
        Assert.That(((ReferenceServerSpec)spec).Variant, Is.SameAs(ServerDefects.Find("rst-ignored")));
    }

    [Test]
    public async Task Each_server_kind_opens_the_target_that_reaches_it()
    {
        await using var reference = TargetParser.ParseServer(null).Open(KitProfile.P6ab05ee);
        Assert.That(reference, Is.TypeOf<ReferenceServerTarget>());
        Assert.That(reference.TargetArgument, Is.Null);

        await using var mutant = TargetParser.ParseServer("reference+defect:rst-ignored").Open(KitProfile.Fa4d209);
        Assert.That(mutant.Name, Is.EqualTo("reference with defect rst-ignored (in-process), profile fa4d209"));
        Assert.That(mutant.TargetArgument, Is.EqualTo("reference+defect:rst-ignored"));

        await using var tcp = TargetParser.ParseServer("tcp://127.0.0.1:9").Open(KitProfile.P6ab05ee);
        Assert.That(tcp, Is.TypeOf<TransportTarget>());
        Assert.That(((TransportTarget)tcp).IsExec, Is.False);
    }

    [Test]
    public void A_client_driver_is_an_exec_command_with_the_address_placeholder()
    {
        var spec = TargetParser.ParseClient("exec:my-client --connect {address}");
        Assert.That(spec, Is.TypeOf<ExecClientDriverSpec>());
        var target = spec.Open(KitProfile.P6ab05ee);
        Assert.That(target.CommandFor("tcp://127.0.0.1:5"), Is.EqualTo(("my-client", (IReadOnlyList<string>)["--connect", "tcp://127.0.0.1:5"])).Using(new CommandComparer()));
    }

    [Test]
    public void The_reference_client_runs_zrpcs_driver_in_the_runs_profile()
    {
        var spec = TargetParser.ParseClient("reference-client");
        Assert.That(spec, Is.TypeOf<ReferenceClientSpec>());
        var target = spec.Open(KitProfile.Fa4d209);
        Assert.That(target.Command, Is.EqualTo("dotnet"));
        Assert.That(target.Arguments[0], Does.EndWith("Zrpc.Cli.dll"));
        Assert.That(target.Arguments, Is.EqualTo(new[] { target.Arguments[0], "client-driver", "--profile", "fa4d209", "--connect", ClientDriverTarget.AddressPlaceholder }));
        Assert.That(target.Name, Does.EndWith(", profile fa4d209"));
    }

    [TestCase("http://example.org", "unknown scheme")]
    [TestCase("tcp://127.0.0.1", "missing ':port'")]
    [TestCase("stdio", "only reference, tcp://HOST:PORT")]
    [TestCase("reference-client", "needs --role client")]
    [TestCase("reference+defect:no-such-defect", "unknown defect 'no-such-defect'")]
    [TestCase("reference+nonsense:x", "knows no such kind of target")]
    public void A_bad_server_target_is_a_format_error_naming_what_is_wrong(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => TargetParser.ParseServer(text));
        Assert.That(error!.Message, Does.Contain(expected));
    }

    [TestCase("tcp://127.0.0.1:9000", "must be exec:COMMAND ARGS")]
    [TestCase("reference", "must be exec:COMMAND ARGS")]
    [TestCase("exec:my-client --connect 127.0.0.1:9000", "must contain {address}")]
    [TestCase("reference-client+defect:no-such-defect", "unknown client defect 'no-such-defect'")]
    [TestCase("  ", "not an empty text")]
    public void A_bad_client_target_is_a_format_error_naming_what_is_wrong(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => TargetParser.ParseClient(text));
        Assert.That(error!.Message, Does.Contain(expected));
    }

    [Test]
    public void A_client_driver_is_no_server_target()
    {
        // Nothing connects to a client: its target has no ConnectAsync to call.
        var target = TargetParser.ParseClient("exec:my-client --connect {address}").Open(KitProfile.P6ab05ee);
        Assert.That(target, Is.InstanceOf<IClientTarget>());
        Assert.That(target, Is.Not.InstanceOf<IServerTarget>());
    }

    private sealed class CommandComparer : IEqualityComparer<(string, IReadOnlyList<string>)>
    {
        public bool Equals((string, IReadOnlyList<string>) x, (string, IReadOnlyList<string>) y) => x.Item1 == y.Item1 && x.Item2.SequenceEqual(y.Item2);

        public int GetHashCode((string, IReadOnlyList<string>) obj) => obj.Item1.GetHashCode(StringComparison.Ordinal);
    }
}
