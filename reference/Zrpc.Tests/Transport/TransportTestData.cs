namespace Zrpc.Tests.Transport;

internal static class TransportTestData
{
    /// <summary>Bytes that differ from their neighbours, so lost, duplicated or reordered chunks show up.</summary>
    public static byte[] Pattern(int length, int seed = 0)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)((i + seed) % 251);
        return bytes;
    }

    public static async Task<byte[]> ReadExactlyAsync(Stream stream, int length)
    {
        var buffer = new byte[length];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }

    /// <summary>Sends <paramref name="payload"/> one way while reading it back the other way (both directions in flight at once).</summary>
    public static async Task<byte[]> EchoThroughAsync(Stream stream, byte[] payload)
    {
        var write = Task.Run(async () =>
        {
            await stream.WriteAsync(payload);
            await stream.FlushAsync();
        });
        var received = await ReadExactlyAsync(stream, payload.Length);
        await write;
        return received;
    }

    public static string TempSocketPath() =>
        Path.Combine(Path.GetTempPath(), $"zrpc-test-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
}
