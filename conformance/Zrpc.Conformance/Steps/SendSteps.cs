using System.Text;
using Reqnroll;
using Zrpc.Conformance.Steps.Wire;

namespace Zrpc.Conformance.Steps;

/// <summary>Bytes and frames sent exactly as the scenario says, well-formed or not.</summary>
[Binding]
public sealed class SendSteps(ScenarioState state)
{
    [StepDefinition(@"^the client sends these frames:$")]
    public Task SendFrames(DataTable table)
    {
        var output = new MemoryStream();
        foreach (var row in table.Rows)
        {
            var type = WireConstants.ParseType(row["type"]);
            var end = byte.Parse(row["end"]);
            var payload = FrameBytes.ParsePayload(row["payload"]);
            var length = row.TryGetValue("length", out var declared) && declared.Trim() != ""
                ? uint.Parse(declared) : (uint)payload.Length;
            output.Write(FrameBytes.Frame(type, end, payload, length));
            if (type == WireConstants.Header && end != 0) state.Connection.RequestsAwaitingResponse++;
        }
        return state.Connection.SendAsync(output.ToArray());
    }

    [StepDefinition(@"^the client sends the bytes '([\s\S]*)'$")]
    public Task SendBytes(string hex) => state.Connection.SendAsync(FrameBytes.ParseHex(hex));

    [StepDefinition(@"^the client sends the text '([\s\S]*)'$")]
    public Task SendText(string text) => state.Connection.SendAsync(FrameBytes.Unescape(text));

    [StepDefinition(@"^the client sends a frame header of type (\S+), end flag (\d+) and length (\d+)$")]
    public Task SendFrameHeader(string type, int endFlag, uint length)
    {
        var bytes = new byte[WireConstants.FrameHeaderSize];
        FrameBytes.WriteHeader(bytes, WireConstants.ParseType(type), (byte)endFlag, length);
        return state.Connection.SendAsync(bytes);
    }

    [StepDefinition(@"^the client sends a request header for ""([^""]*)"" with DataType (\S+) and Accept (\S+)$")]
    public Task SendRequestHeader(string endpoint, string dataType, string accept) =>
        CallSteps.SendRequestAsync(state, endpoint, KitProfiles.DataTypeOf(dataType), KitProfiles.DataTypeOf(accept), body: null);

    [StepDefinition(@"^the client sends a request header for ""([^""]*)"" with DataType (\S+) and Accept (\S+) padded to (\d+) bytes$")]
    public Task SendPaddedHeader(string endpoint, string dataTypeText, string acceptText, int size)
    {
        var (dataType, accept) = (KitProfiles.DataTypeOf(dataTypeText), KitProfiles.DataTypeOf(acceptText));
        // An unknown field carries the padding (HDR-4 says receivers ignore it); the final line feed counts.
        var prefix = $"{{\"Endpoint\":{HeaderJson.Quote(endpoint)},\"DataType\":{dataType},\"Accept\":{accept},\"Error\":0,\"ErrorMessage\":\"\",\"Padding\":\"";
        const string suffix = "\"}\n";
        var pad = size - Encoding.UTF8.GetByteCount(prefix) - suffix.Length;
        if (pad < 0) throw new ArgumentException($"a header cannot be padded to {size} bytes");
        var header = Encoding.UTF8.GetBytes(prefix + new string('.', pad) + suffix);
        state.Connection.RequestsAwaitingResponse++;
        return state.Connection.SendAsync(FrameBytes.CanonicalMessage(WireConstants.Header, header));
    }

    [StepDefinition(@"^the client sends the header text '([\s\S]*)'$")]
    public Task SendHeaderText(string text)
    {
        state.Connection.RequestsAwaitingResponse++;
        return state.Connection.SendAsync(FrameBytes.Frame(WireConstants.Header, 1, FrameBytes.Unescape(text)));
    }

    [StepDefinition(@"^the client sends a JSON body '([\s\S]*)'$")]
    public Task SendJsonBody(string json)
    {
        state.LastJsonSent = json;
        return state.Connection.SendAsync(FrameBytes.CanonicalMessage(WireConstants.Data, Encoding.UTF8.GetBytes(json + "\n")));
    }

    [StepDefinition(@"^the client sends an Octets body of (\d+) bytes$")]
    public Task SendOctets(long length) => SendOctets(length, WireConstants.MaxPayload);

    [StepDefinition(@"^the client sends an Octets body of (\d+) bytes in frames of (\d+) bytes$")]
    public Task SendOctets(long length, int frameSize)
    {
        state.LastOctetsSent = (length, PatternSha256(length));
        return state.Connection.SendOctetsAsync(length, frameSize);
    }

    [StepDefinition(@"^the client sends RST$")]
    public Task SendRst() => state.Connection.SendAsync(WireConstants.CanonicalRst);

    internal static string PatternSha256(long length)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long offset = 0; offset < length; offset += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, length - offset);
            OctetPattern.Fill(buffer.AsSpan(0, n), offset);
            sha.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(sha.GetCurrentHash());
    }
}
