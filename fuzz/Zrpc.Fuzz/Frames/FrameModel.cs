using System.Buffers.Binary;
using Zrpc.Frames;
using Zrpc.Fuzz.Contract;

namespace Zrpc.Fuzz.Frames;

/// <summary>
/// What the frame layer must make of a byte stream, written from the catalogue alone (FRAME-1,
/// -2, -6, -8, -10, -11), independently of FrameReader: the fuzz target compares the two.
/// </summary>
public static class FrameModel
{
    public static string FrameLine(byte type, byte flag, uint length, long offset)
        => $"frame {type:x2}/{flag:x2} len {length} @{offset}";

    public static Outcome Expected(ReadOnlySpan<byte> input)
    {
        var outcome = new Outcome();
        int pos = 0;
        while (true)
        {
            int rest = input.Length - pos;
            if (rest == 0)
            {
                outcome.Add("end");
                return outcome;
            }

            if (rest < FrameLimits.HeaderSize)
            {
                outcome.Add("error FRAME-11");
                return outcome;
            }

            byte type = input[pos];
            byte flag = input[pos + 1];
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(input.Slice(pos + 2, 4));

            // RST is recognised by its type alone, whatever its flag and length (FRAME-8).
            if (type == 0xFF)
            {
                outcome.Add("rst");
                return outcome;
            }

            if (type is not (0x01 or 0x02 or 0x03))
            {
                outcome.Add("error FRAME-2");
                return outcome;
            }

            if (type == 0x03)
            {
                outcome.Add("error FRAME-10");
                return outcome;
            }

            if (length > FrameLimits.MaxPayload)
            {
                outcome.Add("error FRAME-6");
                return outcome;
            }

            outcome.Add(FrameLine(type, flag, length, pos));
            int available = (int)Math.Min(length, rest - FrameLimits.HeaderSize);
            outcome.Add("payload " + Outcome.Digest(input.Slice(pos + FrameLimits.HeaderSize, available)));
            if (available < length)
            {
                outcome.Add("error FRAME-11");
                return outcome;
            }

            pos += FrameLimits.HeaderSize + (int)length;
        }
    }
}
