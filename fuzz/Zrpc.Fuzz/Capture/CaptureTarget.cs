using FrameDump;
using Zrpc.Fuzz.Contract;

namespace Zrpc.Fuzz.Capture;

/// <summary>
/// Fuzzes frame-dump on a capture file: libpcap's pcap/pcapng reading, link/IP/TCP decoding,
/// TCP reassembly (reordering, overlaps, gaps, bounded reorder buffer), connection detection and
/// the protocol decoder, through <see cref="Dumper.Run"/> as the command line calls it. An
/// unreadable file may end with exit code 2 (Dumper's documented outcome for libpcap and I/O
/// errors); any exception escaping Dumper.Run is a crash, so is output that is not what
/// `--format json` promises, and so is memory not bounded by the capture's size.
/// </summary>
public sealed class CaptureTarget : IFuzzTarget
{
    public string Name => "pcap";

    public string Description => "frame-dump: pcap/pcapng reading, TCP reassembly and decoding (Dumper.Run)";

    public bool NeedsIsolation => true;

    public void Run(byte[] input)
    {
        string file = ScratchFile.Write(input);
        Dump(input, new DumpOptions { CaptureFile = file, Format = OutputFormat.Json }, "frame-dump --format json");
        Dump(input, new DumpOptions { CaptureFile = file, Format = OutputFormat.Text, Hex = true, HexLimit = 64 }, "frame-dump -x");
    }

    internal static void Dump(byte[] input, DumpOptions options, string what)
    {
        using var output = new MemoryStream();
        using var error = new StringWriter();
        var budget = AllocationBudget.Start(what, 32L * 1024 * 1024, 64, input.Length);
        int exit = Dumper.Run(options, output, error);
        budget.Check();
        if (exit is not (0 or 2))
        {
            throw new ContractViolationException($"{what} exited with {exit}; only 0 and 2 are documented");
        }

        if (exit == 2 && error.ToString().Length == 0)
        {
            throw new ContractViolationException($"{what} exited with 2 without saying why");
        }

        if (options.Format == OutputFormat.Json)
        {
            DumpOutputCheck.RequireJsonLines(output, what);
        }
        else
        {
            DumpOutputCheck.RequireUtf8(output, what);
        }
    }
}
