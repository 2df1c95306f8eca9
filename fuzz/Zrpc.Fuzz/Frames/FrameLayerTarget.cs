using System.Security.Cryptography;
using Zrpc.Frames;
using Zrpc.Fuzz.Contract;

namespace Zrpc.Fuzz.Frames;

/// <summary>
/// Fuzzes <see cref="FrameReader"/>: the input is the byte stream a peer sent. Read with and
/// without read-ahead and with varying read sizes, the reader must report exactly the frames,
/// payload bytes and final error of <see cref="FrameModel"/>, stay usable only until its first
/// error (later reads fail with InvalidOperationException), and allocate nothing in proportion
/// to a length field (FRAME-6).
/// </summary>
public sealed class FrameLayerTarget : IFuzzTarget
{
    private static readonly int[] ReadAheads = [0, FrameReader.ConnectionReadAhead, 7];

    public string Name => "frames";

    public string Description => "FrameReader: frame headers, validation, payload reads (FRAME-1..11)";

    public void Run(byte[] input)
    {
        var expected = FrameModel.Expected(input);
        var buffer = new byte[ChunkPlan.Largest];
        for (int i = 0; i < ReadAheads.Length; i++)
        {
            var budget = AllocationBudget.Start($"FrameReader (read-ahead {ReadAheads[i]})", 256 * 1024, 2, input.Length);
            var actual = Decode(input, ReadAheads[i], new ChunkPlan(input, i), buffer);
            budget.Check();
            Outcome.RequireEqual($"FrameReader (read-ahead {ReadAheads[i]})", expected, actual);
        }
    }

    private static Outcome Decode(byte[] input, int readAhead, ChunkPlan chunks, byte[] buffer)
    {
        var outcome = new Outcome();
        var reader = new FrameReader(new MemoryStream(input, writable: false), readAhead);
        long offset = 0;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        while (true)
        {
            FrameHeader? header;
            try
            {
                header = Sync.Wait(reader.ReadHeaderAsync(CancellationToken.None));
            }
            catch (ProtocolException error)
            {
                outcome.Add(RequirementErrors.Describe(error));
                RequireBroken(reader);
                return outcome;
            }

            if (header is not { } frame)
            {
                outcome.Add("end");
                return outcome;
            }

            if (frame.Type == FrameType.Rst)
            {
                if (reader.PayloadRemaining != 0)
                {
                    throw new ContractViolationException($"RST announced {reader.PayloadRemaining} payload bytes to read; its payload must never be read (FRAME-8)");
                }

                outcome.Add("rst");
                return outcome;
            }

            outcome.Add(FrameModel.FrameLine(frame.RawType, frame.RawEndFlag, frame.Length, offset));
            if (reader.PayloadRemaining != frame.Length || reader.Current != frame)
            {
                throw new ContractViolationException($"after {frame} the reader reports {reader.PayloadRemaining} payload bytes and current frame {reader.Current}");
            }

            long got = 0;
            try
            {
                while (reader.PayloadRemaining > 0)
                {
                    int want = chunks.Next();
                    int n = Sync.Wait(reader.ReadPayloadAsync(buffer.AsMemory(0, want), CancellationToken.None));
                    if (n <= 0 || n > want)
                    {
                        throw new ContractViolationException($"ReadPayloadAsync returned {n} for a {want}-byte buffer with {reader.PayloadRemaining + n} payload bytes left");
                    }

                    hash.AppendData(buffer, 0, n);
                    got += n;
                }
            }
            catch (ProtocolException error)
            {
                outcome.Add($"payload {got} {Convert.ToHexStringLower(hash.GetHashAndReset())[..16]}");
                outcome.Add(RequirementErrors.Describe(error));
                RequireBroken(reader);
                return outcome;
            }

            outcome.Add($"payload {got} {Convert.ToHexStringLower(hash.GetHashAndReset())[..16]}");
            if (Sync.Wait(reader.ReadPayloadAsync(buffer, CancellationToken.None)) != 0)
            {
                throw new ContractViolationException($"ReadPayloadAsync returned bytes past the end of {frame}");
            }

            offset += FrameLimits.HeaderSize + frame.Length;
        }
    }

    /// <summary>After a protocol error the stream is out of sync: the reader must refuse to go on (CONN-1).</summary>
    private static void RequireBroken(FrameReader reader)
    {
        try
        {
            Sync.Wait(reader.ReadHeaderAsync(CancellationToken.None));
        }
        catch (InvalidOperationException)
        {
            return;
        }

        throw new ContractViolationException("FrameReader went on reading after a protocol error (CONN-1: the connection must end)");
    }
}
