using NUnit.Framework;
using Zrpc.Transport;

namespace Zrpc.Tests.Transport;

[TestFixture]
public class TransportAddressTests
{
    [TestCase("tcp://127.0.0.1:9000", "127.0.0.1", 9000)]
    [TestCase("tcp://localhost:1", "localhost", 1)]
    [TestCase("tcp://example.org:65535", "example.org", 65535)]
    [TestCase("tcp://[::1]:9000", "::1", 9000)]
    [TestCase("tcp://[fe80::1%2]:80", "fe80::1%2", 80)]
    [TestCase("tcp://0.0.0.0:0", "0.0.0.0", 0)]
    public void Tcp_address_yields_host_and_port(string text, string host, int port)
    {
        var address = TransportAddress.Parse(text);
        Assert.That(address.Kind, Is.EqualTo(TransportKind.Tcp));
        Assert.That(address.Host, Is.EqualTo(host));
        Assert.That(address.Port, Is.EqualTo(port));
    }

    [TestCase("tcp://127.0.0.1", "missing ':port'")]
    [TestCase("tcp://127.0.0.1:", "port ''")]
    [TestCase("tcp://127.0.0.1:65536", "port '65536'")]
    [TestCase("tcp://127.0.0.1:-1", "port '-1'")]
    [TestCase("tcp://127.0.0.1:9x", "port '9x'")]
    [TestCase("tcp://:9000", "host is empty")]
    [TestCase("tcp://::1:9000", "must be written in brackets")]
    [TestCase("tcp://[::1:9000", "no closing ']'")]
    [TestCase("tcp://[::1]9000", "missing ':port' after ']'")]
    [TestCase("tcp://[127.0.0.1]:9000", "not an IPv6 address")]
    [TestCase("tcp://host/path:9000", "host 'host/path'")]
    [TestCase("unix://relative/path", "not absolute")]
    [TestCase("unix://", "socket path is empty")]
    [TestCase("unix:///tmp/dir/", "names a directory")]
    [TestCase("exec:", "no command")]
    [TestCase("exec:   ", "no command")]
    [TestCase("exec:sh -c 'echo", "unterminated single quote")]
    [TestCase("exec:sh -c \"echo", "unterminated double quote")]
    [TestCase("exec:sh \\", "lone backslash")]
    [TestCase("http://127.0.0.1:80", "unknown scheme")]
    [TestCase("STDIO", "unknown scheme")]
    [TestCase("", "unknown scheme")]
    public void Malformed_address_is_rejected_naming_the_bad_part(string text, string expectedFragment)
    {
        var error = Assert.Throws<FormatException>(() => TransportAddress.Parse(text));
        Assert.That(error!.Message, Does.Contain(expectedFragment));
        Assert.That(error.Message, Does.Contain($"'{text}'"), "the message quotes the whole address");
        Assert.That(TransportAddress.TryParse(text, out var parsed), Is.False);
        Assert.That(parsed, Is.Null);
    }

    [Test]
    public void Unix_address_keeps_the_absolute_path()
    {
        var address = TransportAddress.Parse("unix:///run/zrpc/server.sock");
        Assert.That(address.Kind, Is.EqualTo(TransportKind.Unix));
        Assert.That(address.Path, Is.EqualTo("/run/zrpc/server.sock"));
    }

    [Test]
    public void Stdio_address_is_recognised()
    {
        Assert.That(TransportAddress.Parse("stdio").Kind, Is.EqualTo(TransportKind.Stdio));
    }

    [TestCase("exec:cat", "cat", new string[0])]
    [TestCase("exec:dotnet /opt/zrpc.dll serve --listen stdio", "dotnet", new[] { "/opt/zrpc.dll", "serve", "--listen", "stdio" })]
    [TestCase("exec:  ssh   host  ", "ssh", new[] { "host" })]
    [TestCase("exec:sh -c 'echo a  b; exit 3'", "sh", new[] { "-c", "echo a  b; exit 3" })]
    [TestCase("exec:prog \"a \\\"quoted\\\" \\\\ word\" x", "prog", new[] { "a \"quoted\" \\ word", "x" })]
    [TestCase("exec:prog \"keep \\n as is\"", "prog", new[] { "keep \\n as is" })]
    [TestCase("exec:prog a\\ b c", "prog", new[] { "a b", "c" })]
    [TestCase("exec:prog ''", "prog", new[] { "" })]
    [TestCase("exec:prog pre'fix 'mid\"dle\"post", "prog", new[] { "prefix middlepost" })]
    [TestCase("exec:'/path with space/prog' 'it'\\''s'", "/path with space/prog", new[] { "it's" })]
    public void Exec_command_line_is_split_like_a_shell(string text, string command, string[] arguments)
    {
        var address = TransportAddress.Parse(text);
        Assert.That(address.Kind, Is.EqualTo(TransportKind.Exec));
        Assert.That(address.Command, Is.EqualTo(command));
        Assert.That(address.Arguments, Is.EqualTo(arguments));
    }

    [TestCase("tcp://127.0.0.1:9000")]
    [TestCase("tcp://[::1]:9000")]
    [TestCase("unix:///tmp/x.sock")]
    [TestCase("stdio")]
    [TestCase("exec:sh -c 'echo it'\\''s here' \"\" plain")]
    public void ToString_parses_back_to_an_equal_address(string text)
    {
        var address = TransportAddress.Parse(text);
        var again = TransportAddress.Parse(address.ToString());
        Assert.That(again, Is.EqualTo(address));
        Assert.That(again.GetHashCode(), Is.EqualTo(address.GetHashCode()));
    }

    [Test]
    public void Different_exec_arguments_make_different_addresses()
    {
        Assert.That(TransportAddress.Parse("exec:a b"), Is.Not.EqualTo(TransportAddress.Parse("exec:a c")));
    }
}
