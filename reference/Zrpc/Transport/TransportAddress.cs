using System.Net;
using System.Text;

namespace Zrpc.Transport;

/// <summary>
/// Where a connection goes or comes from. Textual forms:
/// <c>tcp://host:port</c> (IPv6 literals in brackets: <c>tcp://[::1]:9000</c>),
/// <c>unix:///absolute/path</c>, <c>stdio</c>, and <c>exec:COMMAND ARGS</c> whose command line is
/// split like a POSIX shell does (whitespace separates words; single quotes keep everything
/// literally; double quotes keep whitespace and allow <c>\"</c> and <c>\\</c>; a backslash outside
/// quotes escapes the next character). No shell is involved: there is no expansion of variables,
/// globs or redirections.
/// </summary>
public sealed record TransportAddress
{
    private const string TcpPrefix = "tcp://";
    private const string UnixPrefix = "unix://";
    private const string ExecPrefix = "exec:";
    private const string StdioText = "stdio";

    private TransportAddress(TransportKind kind) => Kind = kind;

    public TransportKind Kind { get; }

    /// <summary>Host name or IP literal (without brackets) for <see cref="TransportKind.Tcp"/>.</summary>
    public string Host { get; private init; } = "";

    /// <summary>Port for <see cref="TransportKind.Tcp"/>; 0 asks a listener to pick a free port.</summary>
    public int Port { get; private init; }

    /// <summary>Absolute socket path for <see cref="TransportKind.Unix"/>.</summary>
    public string Path { get; private init; } = "";

    /// <summary>Program to start for <see cref="TransportKind.Exec"/>.</summary>
    public string Command { get; private init; } = "";

    /// <summary>Arguments of <see cref="Command"/>, already split and unquoted.</summary>
    public IReadOnlyList<string> Arguments { get; private init; } = [];

    public static TransportAddress Tcp(string host, int port)
    {
        if (string.IsNullOrEmpty(host)) throw new ArgumentException("host must not be empty", nameof(host));
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        return new TransportAddress(TransportKind.Tcp) { Host = host, Port = port };
    }

    public static TransportAddress Unix(string path)
    {
        if (!System.IO.Path.IsPathRooted(path) || !path.StartsWith('/'))
            throw new ArgumentException($"unix socket path '{path}' must be absolute", nameof(path));
        return new TransportAddress(TransportKind.Unix) { Path = path };
    }

    public static TransportAddress Stdio { get; } = new(TransportKind.Stdio);

    public static TransportAddress Exec(string command, IEnumerable<string> arguments)
    {
        if (string.IsNullOrEmpty(command)) throw new ArgumentException("command must not be empty", nameof(command));
        return new TransportAddress(TransportKind.Exec) { Command = command, Arguments = arguments.ToArray() };
    }

    /// <summary>Parses one of the textual forms; throws <see cref="FormatException"/> naming the bad part.</summary>
    public static TransportAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == StdioText) return Stdio;
        if (text.StartsWith(TcpPrefix, StringComparison.Ordinal)) return ParseTcp(text, text[TcpPrefix.Length..]);
        if (text.StartsWith(UnixPrefix, StringComparison.Ordinal)) return ParseUnix(text, text[UnixPrefix.Length..]);
        if (text.StartsWith(ExecPrefix, StringComparison.Ordinal)) return ParseExec(text, text[ExecPrefix.Length..]);
        throw new FormatException(
            $"address '{text}' has an unknown scheme: expected tcp://host:port, unix:///path, stdio or exec:COMMAND ARGS");
    }

    public static bool TryParse(string text, out TransportAddress? address)
    {
        try
        {
            address = Parse(text);
            return true;
        }
        catch (FormatException)
        {
            address = null;
            return false;
        }
    }

    private static TransportAddress ParseTcp(string text, string rest)
    {
        string host;
        string portText;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']');
            if (close < 0) throw new FormatException($"address '{text}': IPv6 host has no closing ']'");
            host = rest[1..close];
            if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
                throw new FormatException($"address '{text}': '{host}' in brackets is not an IPv6 address");
            string afterBracket = rest[(close + 1)..];
            if (!afterBracket.StartsWith(':')) throw new FormatException($"address '{text}': missing ':port' after ']'");
            portText = afterBracket[1..];
        }
        else
        {
            int colon = rest.LastIndexOf(':');
            if (colon < 0) throw new FormatException($"address '{text}': missing ':port' (expected tcp://host:port)");
            host = rest[..colon];
            portText = rest[(colon + 1)..];
            if (host.Contains(':'))
                throw new FormatException($"address '{text}': IPv6 host '{host}' must be written in brackets, e.g. tcp://[::1]:9000");
        }

        if (host.Length == 0) throw new FormatException($"address '{text}': host is empty");
        if (host.IndexOfAny(['/', '?', '#', '@', ' ']) >= 0)
            throw new FormatException($"address '{text}': host '{host}' contains a character not allowed in a host name");
        if (portText.Length == 0 || !portText.All(char.IsAsciiDigit)
            || !int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port)
            || port > IPEndPoint.MaxPort)
            throw new FormatException($"address '{text}': port '{portText}' is not a number from 0 to {IPEndPoint.MaxPort}");
        return new TransportAddress(TransportKind.Tcp) { Host = host, Port = port };
    }

    private static TransportAddress ParseUnix(string text, string path)
    {
        if (path.Length == 0) throw new FormatException($"address '{text}': socket path is empty (expected unix:///absolute/path)");
        if (!path.StartsWith('/'))
            throw new FormatException($"address '{text}': socket path '{path}' is not absolute (expected unix:///absolute/path)");
        if (path.EndsWith('/')) throw new FormatException($"address '{text}': socket path '{path}' names a directory");
        if (path.Contains('\0')) throw new FormatException($"address '{text}': socket path contains a NUL character");
        return new TransportAddress(TransportKind.Unix) { Path = path };
    }

    private static TransportAddress ParseExec(string text, string commandLine)
    {
        var words = SplitCommandLine(text, commandLine);
        if (words.Count == 0) throw new FormatException($"address '{text}': no command after 'exec:'");
        return new TransportAddress(TransportKind.Exec) { Command = words[0], Arguments = words.Skip(1).ToArray() };
    }

    /// <summary>Splits a command line into words with POSIX-shell-like quoting (see the type's summary).</summary>
    public static List<string> SplitCommandLine(string commandLine) => SplitCommandLine(commandLine, commandLine);

    private static List<string> SplitCommandLine(string textForErrors, string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        int i = 0;
        while (i < line.Length)
        {
            char c = line[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
                i++;
                continue;
            }

            inWord = true;
            switch (c)
            {
                case '\'':
                    {
                        int close = line.IndexOf('\'', i + 1);
                        if (close < 0)
                            throw new FormatException($"address '{textForErrors}': unterminated single quote starting at offset {i} of the command line");
                        word.Append(line, i + 1, close - i - 1);
                        i = close + 1;
                        break;
                    }
                case '"':
                    {
                        int start = i;
                        i++;
                        while (true)
                        {
                            if (i >= line.Length)
                                throw new FormatException($"address '{textForErrors}': unterminated double quote starting at offset {start} of the command line");
                            char d = line[i];
                            if (d == '"') { i++; break; }
                            if (d == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' or '$' or '`')
                            {
                                word.Append(line[i + 1]);
                                i += 2;
                                continue;
                            }
                            word.Append(d);
                            i++;
                        }
                        break;
                    }
                case '\\':
                    if (i + 1 >= line.Length)
                        throw new FormatException($"address '{textForErrors}': the command line ends with a lone backslash");
                    word.Append(line[i + 1]);
                    i += 2;
                    break;
                default:
                    word.Append(c);
                    i++;
                    break;
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    public override string ToString() => Kind switch
    {
        TransportKind.Tcp => Host.Contains(':') ? $"{TcpPrefix}[{Host}]:{Port}" : $"{TcpPrefix}{Host}:{Port}",
        TransportKind.Unix => UnixPrefix + Path,
        TransportKind.Stdio => StdioText,
        TransportKind.Exec => ExecPrefix + string.Join(' ', new[] { Command }.Concat(Arguments).Select(QuoteWord)),
        _ => Kind.ToString(),
    };

    private static string QuoteWord(string word) =>
        word.Length > 0 && word.All(ch => char.IsAsciiLetterOrDigit(ch) || "-_./=:,+@%".Contains(ch))
            ? word
            : "'" + word.Replace("'", "'\\''") + "'";

    public bool Equals(TransportAddress? other) =>
        other is not null && Kind == other.Kind && Host == other.Host && Port == other.Port && Path == other.Path
        && Command == other.Command && Arguments.SequenceEqual(other.Arguments);

    public override int GetHashCode() => HashCode.Combine(Kind, Host, Port, Path, Command, Arguments.Count);
}
