using Zrpc.Fuzz.Capture;
using Zrpc.Fuzz.Contract;
using Zrpc.Fuzz.Frames;
using Zrpc.Fuzz.Messages;
using Zrpc.Fuzz.Rpc;

namespace Zrpc.Fuzz;

public static class FuzzTargets
{
    public static IReadOnlyList<IFuzzTarget> All { get; } =
    [
        new FrameLayerTarget(),
        new MessageLayerTarget(),
        new HeaderTarget(),
        new CaptureTarget(),
        new RawStreamTarget(),
        new ReassemblyTarget(),
    ];

    public static IFuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
