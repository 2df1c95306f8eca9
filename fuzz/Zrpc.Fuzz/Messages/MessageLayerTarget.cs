using System.Security.Cryptography;
using Zrpc.Frames;
using Zrpc.Fuzz.Contract;
using Zrpc.Messages;

namespace Zrpc.Fuzz.Messages;

/// <summary>
/// Fuzzes <see cref="MessageReader"/> and <see cref="DataMessageReadStream"/> the way a server
/// reads requests: a Header message, then the Data message read to its end (or drained), again
/// and again. The messages, bodies and the final error must be those of
/// <see cref="MessageModel"/>; a failed body must keep failing (never look complete, CLI-4);
/// memory must stay bounded whatever the lengths say (MSG-5, MSG-6).
/// </summary>
public sealed class MessageLayerTarget : IFuzzTarget
{
    private static readonly int[] ReadAheads = [0, FrameReader.ConnectionReadAhead];

    public string Name => "messages";

    public string Description => "MessageReader + DataMessageReadStream: Header/Data messages (MSG-1..6, CONN-2..4)";

    public void Run(byte[] input)
    {
        var expected = MessageModel.Expected(input);
        var buffer = new byte[ChunkPlan.Largest];
        for (int i = 0; i < ReadAheads.Length; i++)
        {
            foreach (bool drain in new[] { false, true })
            {
                string what = $"MessageReader (read-ahead {ReadAheads[i]}, {(drain ? "draining" : "reading")} bodies)";
                var budget = AllocationBudget.Start(what, 512 * 1024, 4, input.Length);
                var actual = Decode(input, ReadAheads[i], new ChunkPlan(input, i), buffer, drain);
                budget.Check();
                Outcome.RequireEqual(what, Normalise(expected, drain), actual);
            }
        }
    }

    /// <summary>A drained body is not seen: only its length is known, and a partial one is not reported.</summary>
    private static Outcome Normalise(Outcome expected, bool drain)
    {
        if (!drain)
        {
            return expected;
        }

        var result = new Outcome();
        foreach (string line in expected.Lines)
        {
            if (line.StartsWith("body-part ", StringComparison.Ordinal))
            {
                continue;
            }

            result.Add(line.StartsWith("body ", StringComparison.Ordinal) ? "drained " + line.Split(' ')[1] : line);
        }

        return result;
    }

    private static Outcome Decode(byte[] input, int readAhead, ChunkPlan chunks, byte[] buffer, bool drain)
    {
        var outcome = new Outcome();
        var messages = new MessageReader(new FrameReader(new MemoryStream(input, writable: false), readAhead));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        while (true)
        {
            ReadOnlyMemory<byte>? header;
            try
            {
                header = Sync.Wait(messages.ReadHeaderMessageAsync(CancellationToken.None));
            }
            catch (ProtocolException error)
            {
                outcome.Add(RequirementErrors.Describe(error));
                return outcome;
            }

            if (header is not { } content)
            {
                outcome.Add(messages.ResetReceived ? "reset before header" : "end");
                return outcome;
            }

            if (content.Length > FrameLimits.MaxHeaderMessage)
            {
                throw new ContractViolationException($"a {content.Length}-byte Header message was returned (MSG-5: at most {FrameLimits.MaxHeaderMessage})");
            }

            outcome.Add("header " + Outcome.Digest(content.Span));
            var body = messages.OpenDataMessageStream();
            long got = 0;
            try
            {
                if (drain)
                {
                    Sync.Wait(body.DrainAsync(CancellationToken.None));
                    got = body.BytesRead;
                }
                else
                {
                    while (true)
                    {
                        int want = chunks.Next();
                        int n = Sync.Wait(body.ReadAsync(buffer.AsMemory(0, want), CancellationToken.None));
                        if (n < 0 || n > want)
                        {
                            throw new ContractViolationException($"DataMessageReadStream.ReadAsync returned {n} for a {want}-byte buffer");
                        }

                        if (n == 0)
                        {
                            break;
                        }

                        hash.AppendData(buffer, 0, n);
                        got += n;
                    }
                }
            }
            catch (ProtocolException error)
            {
                if (!drain)
                {
                    outcome.Add($"body-part {got} {Convert.ToHexStringLower(hash.GetHashAndReset())[..16]}");
                }

                outcome.Add(RequirementErrors.Describe(error));
                RequireStillFailing(body, error);
                return outcome;
            }

            if (!body.Ended || body.BytesRead != got)
            {
                throw new ContractViolationException($"the Data message reported its end but Ended={body.Ended}, BytesRead={body.BytesRead}, read {got}");
            }

            outcome.Add(drain ? $"drained {got}" : $"body {got} {Convert.ToHexStringLower(hash.GetHashAndReset())[..16]}");
        }
    }

    /// <summary>A body that failed must never read as complete afterwards (CLI-4, CONN-4).</summary>
    private static void RequireStillFailing(DataMessageReadStream body, ProtocolException first)
    {
        try
        {
            int n = Sync.Wait(body.ReadAsync(new byte[16], CancellationToken.None));
            throw new ContractViolationException($"after '{first.Message}' the Data message read returned {n} instead of failing again (CLI-4)");
        }
        catch (ProtocolException)
        {
        }
    }
}
