namespace Zrpc.Frames;

/// <summary>Frame types on the wire (FRAME-2).</summary>
public enum FrameType : byte
{
    Header = 0x01,
    Data = 0x02,
    /// <summary>Reserved: never sent, rejected on receipt (FRAME-10).</summary>
    Trailer = 0x03,
    Rst = 0xFF,
}
