using System.Text.Json;
using FrameDump.Output;
using FrameDump.Tcp;
using Zrpc.Frames;
using Zrpc.Rpc;

namespace FrameDump.Protocol;

/// <summary>What a decoder has seen, for telling the profile of a connection from its content.</summary>
public interface IProfileObserver
{
    /// <summary>A message ended; <paramref name="firstFrame"/> numbers its first frame within its direction, from 1.</summary>
    void OnMessage(Direction direction, MessageRecord message, long firstFrame);

    /// <summary>An RST frame, the <paramref name="frame"/>-th of its direction.</summary>
    void OnRst(Direction direction, long frame);

    void OnStreamEnded(Direction direction, StreamEndReason reason);
}

/// <summary>
/// Tells the profile of a connection from the structure of its messages, never from message
/// texts (spec/profile-fa4d209.md section 9). The two profiles read the same bytes differently
/// only where DataType 2 or 4 appears, or where a DataType 3 body is not JSON:
/// <list type="bullet">
/// <item>a request, or an OK response, with DataType 2 that is followed by a Data message is
/// MarshaledJSON with its body: 6ab05ee;</item>
/// <item>one followed by a Header message, an RST or the end of the stream has no body: a control
/// request or the OK answer to one, fa4d209 (FARPC-1, FARPC-3);</item>
/// <item>an OK response with DataType 4 answers with a DataType that only fa4d209 has (Octets);</item>
/// <item>a complete body announced as DataType 3 that is not JSON is Octets: 6ab05ee (in fa4d209
/// DataType 3 is MarshaledJSON).</item>
/// </list>
/// Each finding is reported once per kind and direction.
/// </summary>
public sealed class ProfileEvidence : IProfileObserver
{
    private readonly Pending?[] pending = new Pending?[2];
    private readonly byte?[] bodyType = new byte?[2];
    private readonly HashSet<string> reported = new(StringComparer.Ordinal);

    /// <summary>
    /// Set once a header carries a DataType or Accept of 2 or more: before that, the two readings
    /// of the connection are the same.
    /// </summary>
    public bool ReadingsDiffer { get; private set; }

    /// <summary>Called with the profile a finding points at and the finding in words.</summary>
    public Action<Profile, string>? Found { get; set; }

    public void OnMessage(Direction direction, MessageRecord message, long firstFrame)
    {
        int side = (int)direction;
        if (message.RawType == (byte)FrameType.Header)
        {
            if (pending[side] is { } open)
            {
                pending[side] = null;
                Report(Profile.Fa4d209, open.Kind + "-header", $"{open.What} with no Data message after it ({Where(direction, open.Frame)})");
            }

            bodyType[side] = null;
            if (!message.Complete || message.RpcHeader is not { } header)
            {
                return;
            }

            ReadingsDiffer |= header.DataType >= 2 || header.Accept >= 2;
            bool request = direction == Direction.ClientToServer;
            bool ok = header.Error == (ulong)Status.Ok;
            if (request || ok)
            {
                bodyType[side] = header.DataType;
            }

            if (header.DataType == Profiles.Fa4d209Control && (request || ok))
            {
                string what = request
                    ? header.Endpoint == "Close" ? "a Close request with DataType 2" : $"a request for {header.Endpoint} with DataType 2"
                    : "an OK response with DataType 2";
                pending[side] = new Pending(request ? "request2" : "response2", what, firstFrame);
            }
            else if (!request && ok && header.DataType == 4)
            {
                Report(Profile.Fa4d209, "ok4", $"an OK response with DataType 4, Octets in fa4d209 and unassigned in 6ab05ee ({Where(direction, firstFrame)})");
            }

            return;
        }

        if (message.RawType != (byte)FrameType.Data)
        {
            return;
        }

        if (pending[side] is { } withBody)
        {
            pending[side] = null;
            Report(Profile.P6ab05ee, withBody.Kind + "-data", $"MarshaledJSON body with DataType 2: {withBody.What} followed by a Data message ({Where(direction, withBody.Frame)})");
        }
        else if (bodyType[side] == 3 && !IsJson(message))
        {
            Report(Profile.P6ab05ee, "octets3", $"a body with DataType 3 that is not JSON, Octets in 6ab05ee and MarshaledJSON in fa4d209 ({Where(direction, firstFrame)})");
        }

        bodyType[side] = null;
    }

    public void OnRst(Direction direction, long frame)
    {
        if (pending[(int)direction] is { } open)
        {
            pending[(int)direction] = null;
            Report(Profile.Fa4d209, open.Kind + "-rst", $"{open.What} followed by RST, not by a Data message ({Where(direction, open.Frame)})");
        }
    }

    public void OnStreamEnded(Direction direction, StreamEndReason reason)
    {
        // The end of the capture is no evidence: the body may simply not have been captured.
        if (reason is StreamEndReason.Fin or StreamEndReason.Reset && pending[(int)direction] is { } open)
        {
            Report(Profile.Fa4d209, open.Kind + "-end", $"{open.What} followed by the end of the stream, not by a Data message ({Where(direction, open.Frame)})");
        }

        pending[(int)direction] = null;
    }

    private static string Where(Direction direction, long frame) => $"{Names.Dir(direction)} frame {frame}";

    /// <summary>
    /// A complete body held whole is parsed; of any other body only the first byte that is not
    /// white space is judged (it must be able to open a JSON value). What cannot be judged counts
    /// as JSON: no evidence.
    /// </summary>
    private static bool IsJson(MessageRecord body)
    {
        if (body.BodyHead is null || body.LostBytes > 0)
        {
            return true;
        }

        if (!body.Complete || body.BodyHead.Length < body.Length)
        {
            foreach (byte b in body.BodyHead)
            {
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                {
                    continue;
                }

                return b is (byte)'{' or (byte)'[' or (byte)'"' or (byte)'-' or (>= (byte)'0' and <= (byte)'9') or (byte)'t' or (byte)'f' or (byte)'n';
            }

            return true;
        }

        try
        {
            using var document = JsonDocument.Parse(body.BodyHead);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void Report(Profile profile, string kind, string text)
    {
        if (reported.Add(kind))
        {
            Found?.Invoke(profile, text);
        }
    }

    private sealed record Pending(string Kind, string What, long Frame);
}
