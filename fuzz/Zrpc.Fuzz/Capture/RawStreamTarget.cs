using FrameDump;
using Zrpc.Fuzz.Contract;

namespace Zrpc.Fuzz.Capture;

/// <summary>
/// Fuzzes frame-dump's protocol decoder without the capture layers (`frame-dump --raw FILE`): the
/// input is one direction of a connection, decoded as the client's and as the server's side, in
/// every output form. Reaches the frame/message/call decoding, resynchronisation and rendering
/// far faster than the pcap target, which has to get through Ethernet, IP and TCP first.
/// </summary>
public sealed class RawStreamTarget : IFuzzTarget
{
    public string Name => "dump-stream";

    public string Description => "frame-dump --raw: protocol decoding of one reassembled direction (FrameStreamDecoder, MessageAssembler, ConnectionDecoder)";

    public void Run(byte[] input)
    {
        string file = ScratchFile.Write(input);
        CaptureTarget.Dump(input, new DumpOptions { RawFile = file, RawSide = "client", Format = OutputFormat.Json, Hex = true, HexLimit = 64 }, "frame-dump --raw (client) --format json -x");
        CaptureTarget.Dump(input, new DumpOptions { RawFile = file, RawSide = "server", Format = OutputFormat.Json }, "frame-dump --raw (server) --format json");
        CaptureTarget.Dump(input, new DumpOptions { RawFile = file, RawSide = "client", Format = OutputFormat.Text, Hex = true, HexLimit = 64 }, "frame-dump --raw (client) -x");
        CaptureTarget.Dump(input, new DumpOptions { RawFile = file, RawSide = "server", Summary = true, Format = OutputFormat.Json }, "frame-dump --raw (server) --summary --format json");
    }
}
