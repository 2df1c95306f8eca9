using System.Text;
using Zrpc.Frames;

namespace FrameDump.Tests;

/// <summary>Protocol bytes for the tests, built with the reference library's frame header writer.</summary>
public static class Wire
{
    public static byte[] Frame(byte type, byte endFlag, ReadOnlySpan<byte> payload, uint? length = null)
    {
        var bytes = new byte[FrameLimits.HeaderSize + payload.Length];
        new FrameHeader(type, endFlag, length ?? (uint)payload.Length).WriteTo(bytes);
        payload.CopyTo(bytes.AsSpan(FrameLimits.HeaderSize));
        return bytes;
    }

    public static byte[] Frame(FrameType type, bool end, ReadOnlySpan<byte> payload) => Frame((byte)type, end ? (byte)1 : (byte)0, payload);

    public static string HeaderJson(string endpoint, int dataType, int accept, int error = 0, string message = "") =>
        $"{{\"Endpoint\":\"{endpoint}\",\"DataType\":{dataType},\"Accept\":{accept},\"Error\":{error},\"ErrorMessage\":\"{message}\"}}\n";

    public static byte[] HeaderMessage(string json) => Frame(FrameType.Header, true, Encoding.UTF8.GetBytes(json));

    public static byte[] DataMessage(ReadOnlySpan<byte> body) => Frame(FrameType.Data, true, body);

    public static byte[] JsonRequest(string endpoint, string bodyJson, int accept = 2) =>
        Concat(HeaderMessage(HeaderJson(endpoint, 2, accept)), DataMessage(Encoding.UTF8.GetBytes(bodyJson + "\n")));

    public static byte[] OkJson(string bodyJson) =>
        Concat(HeaderMessage(HeaderJson("", 2, 0, 1)), DataMessage(Encoding.UTF8.GetBytes(bodyJson + "\n")));

    public static byte[] OkOctets(ReadOnlySpan<byte> body) => Concat(HeaderMessage(HeaderJson("", 3, 0, 1)), DataMessage(body));

    public static byte[] Failure(int status, string message) => HeaderMessage(HeaderJson("", 0, 0, status, message));

    public static byte[] Rst => [0xFF, 0x01, 0, 0, 0, 0];

    /// <summary>The CTS Source pattern: byte i is i mod 251.</summary>
    public static byte[] SourcePattern(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i % 251);
        }

        return bytes;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
