using System.Buffers.Binary;
using System.Security.Cryptography;
using Zrpc.Frames;
using Zrpc.Fuzz.Contract;

namespace Zrpc.Fuzz.Messages;

/// <summary>
/// What a receiver reading requests (a Header message, then a Data message, repeated) must make
/// of a byte stream, from the catalogue alone: MSG-1/2/3/5, CONN-2/3/4 on top of the frame rules.
/// Independent of MessageReader; the fuzz target compares the two.
/// </summary>
public static class MessageModel
{
    public static Outcome Expected(ReadOnlySpan<byte> input)
    {
        var outcome = new Outcome();
        var frames = new Cursor(input);
        while (true)
        {
            // Header message. End of stream or RST before its first frame ends the connection quietly (CONN-3).
            var first = frames.Next(outcome, atMessageStart: true);
            if (first is null)
            {
                return outcome;
            }

            if (first.Value.Type == 0xFF)
            {
                outcome.Add("reset before header");
                return outcome;
            }

            var content = new List<byte>();
            var frame = first.Value;
            while (true)
            {
                if (frame.Type == 0xFF)
                {
                    outcome.Add("error CONN-2");
                    return outcome;
                }

                if (frame.Type != 0x01)
                {
                    outcome.Add("error MSG-3");
                    return outcome;
                }

                // Decided from the frame header, before its payload is read (MSG-5).
                if (content.Count + (long)frame.Length > FrameLimits.MaxHeaderMessage)
                {
                    outcome.Add("error MSG-5");
                    return outcome;
                }

                if (!frames.TakePayload(frame, content, outcome))
                {
                    return outcome;
                }

                if (frame.End)
                {
                    break;
                }

                var next = frames.Next(outcome, atMessageStart: false);
                if (next is null)
                {
                    return outcome;
                }

                frame = next.Value;
            }

            outcome.Add("header " + Outcome.Digest(content.ToArray()));

            // Data message: any number of Data frames, the last one end-flagged. Before any error
            // inside it, the bytes delivered so far are reported ("body-part").
            using var body = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long bodyLength = 0;
            while (true)
            {
                var failure = new Outcome();
                var next = frames.Next(failure, atMessageStart: false);
                string? error = failure.Lines.Count > 0 ? failure.Lines[0] : null;
                int available = 0;
                if (next is { } data)
                {
                    if (data.Type == 0xFF)
                    {
                        error = "error CONN-2";
                    }
                    else if (data.Type != 0x02)
                    {
                        error = "error MSG-3";
                    }
                    else
                    {
                        available = frames.Available(data);
                        body.AppendData(input.Slice(frames.Position, available));
                        bodyLength += available;
                        if (available < data.Length)
                        {
                            error = "error FRAME-11";
                        }
                        else
                        {
                            frames.Skip(data);
                            if (data.End)
                            {
                                outcome.Add($"body {bodyLength} {Convert.ToHexStringLower(body.GetHashAndReset())[..16]}");
                                break;
                            }
                        }
                    }
                }

                if (error is not null)
                {
                    outcome.Add($"body-part {bodyLength} {Convert.ToHexStringLower(body.GetHashAndReset())[..16]}");
                    outcome.Add(error);
                    return outcome;
                }
            }
        }
    }

    private readonly record struct Frame(byte Type, bool End, uint Length);

    private ref struct Cursor
    {
        private readonly ReadOnlySpan<byte> _input;

        public Cursor(ReadOnlySpan<byte> input)
        {
            _input = input;
            Position = 0;
        }

        public int Position { get; private set; }

        /// <summary>Next validated frame header, or null after writing the terminal line.</summary>
        public Frame? Next(Outcome outcome, bool atMessageStart)
        {
            int rest = _input.Length - Position;
            if (rest == 0)
            {
                // Clean end between requests (CONN-3); anywhere else it cuts a message (CONN-4).
                outcome.Add(atMessageStart ? "end" : "error CONN-4");
                return null;
            }

            if (rest < FrameLimits.HeaderSize)
            {
                outcome.Add("error FRAME-11");
                return null;
            }

            byte type = _input[Position];
            byte flag = _input[Position + 1];
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(_input.Slice(Position + 2, 4));
            Position += FrameLimits.HeaderSize;
            if (type == 0xFF)
            {
                return new Frame(type, flag != 0, 0);
            }

            string? error = type switch
            {
                0x03 => "FRAME-10",
                not (0x01 or 0x02) => "FRAME-2",
                _ => length > FrameLimits.MaxPayload ? "FRAME-6" : null,
            };
            if (error is not null)
            {
                outcome.Add("error " + error);
                return null;
            }

            return new Frame(type, flag != 0, length);
        }

        public int Available(Frame frame) => (int)Math.Min(frame.Length, _input.Length - Position);

        public void Skip(Frame frame) => Position += (int)frame.Length;

        public bool TakePayload(Frame frame, List<byte> into, Outcome outcome)
        {
            int available = Available(frame);
            if (available < frame.Length)
            {
                outcome.Add("error FRAME-11");
                return false;
            }

            foreach (byte b in _input.Slice(Position, available))
            {
                into.Add(b);
            }

            Position += available;
            return true;
        }
    }
}
