using System.Text.RegularExpressions;

namespace Zrpc.Conformance.Adapters;

/// <summary>
/// Recognises a crashed implementation from outside: an exit status that means a fatal signal,
/// and the text language runtimes print on standard error when a program dies of an uncaught
/// error. Used on exec: children and on servers the kit launched itself.
/// </summary>
public static partial class CrashEvidence
{
    /// <summary>How many lines of standard error a crash report quotes.</summary>
    public const int TailLines = 20;

    /// <summary>A recognised crash text: which runtime prints it, and the line it was found on.</summary>
    public sealed record Signature(string Kind, string Line);

    private static readonly (string Kind, Regex Pattern)[] Signatures =
    [
        ("Go panic", GoPanic()),
        ("Go panic", GoRunningGoroutine()),
        ("Go runtime fatal error", GoFatal()),
        (".NET unhandled exception", DotnetUnhandled()),
        (".NET fail-fast", DotnetFailFast()),
        ("Python traceback", PythonTraceback()),
        ("Rust panic", RustPanic()),
        ("Java uncaught exception", JavaUncaught()),
        ("C++ std::terminate", CppTerminate()),
        ("sanitizer report", Sanitizer()),
        ("segmentation fault", SegmentationFault()),
        ("core dump", CoreDumped()),
    ];

    /// <summary>Signals whose default action is a crash of the program itself (not a stop requested from outside).</summary>
    private static readonly Dictionary<int, string> CrashSignals = new()
    {
        [4] = "SIGILL",
        [5] = "SIGTRAP",
        [6] = "SIGABRT",
        [7] = "SIGBUS",
        [8] = "SIGFPE",
        [11] = "SIGSEGV",
        [31] = "SIGSYS",
    };

    private static readonly Dictionary<int, string> OtherSignals = new()
    {
        [1] = "SIGHUP",
        [2] = "SIGINT",
        [3] = "SIGQUIT",
        [9] = "SIGKILL",
        [13] = "SIGPIPE",
        [14] = "SIGALRM",
        [15] = "SIGTERM",
    };

    /// <summary>The first crash text in <paramref name="standardError"/>, or null.</summary>
    public static Signature? FindSignature(string? standardError)
    {
        if (string.IsNullOrEmpty(standardError))
        {
            return null;
        }

        foreach (var line in standardError.Split('\n'))
        {
            foreach (var (kind, pattern) in Signatures)
            {
                if (pattern.IsMatch(line))
                {
                    return new Signature(kind, line.TrimEnd('\r'));
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The name of the fatal signal an exit status reports (.NET gives 128 + N for a child killed
    /// by signal N), when that signal is one a program dies of by itself; null otherwise.
    /// </summary>
    public static string? CrashSignal(int? exitCode)
        => exitCode is > 128 and < 128 + 65 && CrashSignals.TryGetValue(exitCode.Value - 128, out var name) ? name : null;

    /// <summary>"exit status 2", "exit status 134 (128 + 6: SIGABRT)".</summary>
    public static string DescribeExit(int? exitCode)
    {
        if (exitCode is null)
        {
            return "exit status unknown";
        }

        var code = exitCode.Value;
        if (code is > 128 and < 128 + 65)
        {
            var signal = code - 128;
            var name = CrashSignals.GetValueOrDefault(signal) ?? OtherSignals.GetValueOrDefault(signal) ?? $"signal {signal}";
            return $"exit status {code} (128 + {signal}: {name})";
        }

        return $"exit status {code}";
    }

    /// <summary>
    /// Whether a program that ended with <paramref name="exitCode"/> after writing
    /// <paramref name="standardError"/> crashed: a fatal signal, or a runtime's crash text with a
    /// non-zero status. A non-zero status alone is not a crash: a program that serves one
    /// connection over stdin/stdout may end that way after a protocol error (CONN-1).
    /// </summary>
    public static string? Describe(int? exitCode, string? standardError)
    {
        var signal = CrashSignal(exitCode);
        var signature = FindSignature(standardError);
        if (signal is null && (signature is null || exitCode == 0))
        {
            return null;
        }

        return signature is null
            ? $"it died of {signal} ({DescribeExit(exitCode)})"
            : $"it crashed ({DescribeExit(exitCode)}; standard error shows a {signature.Kind}: \"{signature.Line.Trim()}\")";
    }

    /// <summary>The last <paramref name="lines"/> non-empty lines of <paramref name="text"/>.</summary>
    public static string Tail(string? text, int lines = TailLines)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var all = text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    [GeneratedRegex(@"^panic: ")]
    private static partial Regex GoPanic();

    [GeneratedRegex(@"^goroutine \d+ \[running\]:")]
    private static partial Regex GoRunningGoroutine();

    [GeneratedRegex(@"^fatal error: ")]
    private static partial Regex GoFatal();

    [GeneratedRegex(@"^Unhandled exception\.")]
    private static partial Regex DotnetUnhandled();

    [GeneratedRegex(@"^Process terminated\. ")]
    private static partial Regex DotnetFailFast();

    [GeneratedRegex(@"^Traceback \(most recent call last\):")]
    private static partial Regex PythonTraceback();

    [GeneratedRegex(@"^thread '[^']*' panicked at")]
    private static partial Regex RustPanic();

    [GeneratedRegex(@"^Exception in thread """)]
    private static partial Regex JavaUncaught();

    [GeneratedRegex(@"^terminate called after throwing")]
    private static partial Regex CppTerminate();

    [GeneratedRegex(@"==\d+==ERROR: [A-Za-z]+Sanitizer")]
    private static partial Regex Sanitizer();

    [GeneratedRegex(@"Segmentation fault")]
    private static partial Regex SegmentationFault();

    [GeneratedRegex(@"\(core dumped\)")]
    private static partial Regex CoreDumped();
}
