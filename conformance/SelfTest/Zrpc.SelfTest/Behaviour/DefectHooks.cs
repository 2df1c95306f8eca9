using Zrpc.Spec;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Zrpc.Frames;
using Zrpc.Messages;
using Zrpc.SelfTest.Wire;
using Zrpc.Rpc;

namespace Zrpc.SelfTest.Behaviour;

/// <summary>
/// The server decisions a behavioural mutant gets wrong; everything not set stays correct.
/// </summary>
internal sealed class DefectHooks : RpcServerHooks
{
    private readonly ConditionalWeakTable<DataMessageReadStream, object> _leftUnread = new();

    public Func<WireRules>? Wire { get; init; }

    public Func<ReadOnlySpan<byte>, RpcHeader>? ParseHeader { get; init; }

    public bool SkipDrainOnReject { get; init; }

    /// <summary>Stops reading a JSON body once a complete value ending in a line feed has arrived.</summary>
    public bool StopAtJsonValue { get; init; }

    public bool CutErrorHeader { get; init; }

    public override Stream WrapConnection(Stream connection)
        => Wire is null ? connection : new FrameRewritingStream(connection, Wire());

    public override RpcHeader ParseRequestHeader(ReadOnlySpan<byte> content)
        => ParseHeader is null ? base.ParseRequestHeader(content) : ParseHeader(content);

    public override bool DrainRejectedBody(DataMessageReadStream body) => !SkipDrainOnReject;

    public override Stream JsonBodySource(DataMessageReadStream body, FrameReader frames)
        => StopAtJsonValue ? new StopAtValueStream(body, frames, () => _leftUnread.AddOrUpdate(body, body)) : body;

    public override bool DrainAfterHandler(DataMessageReadStream body) => !_leftUnread.TryGetValue(body, out _);

    public override byte[] EncodeFailure(Status status, string message)
    {
        if (!CutErrorHeader)
        {
            return base.EncodeFailure(status, message);
        }

        // The naive fix for "header too long": encode everything, then cut at the limit.
        var full = new RpcHeader("", 0, 0, (ulong)status, message).ToCanonicalBytes();
        return full.Length <= FrameLimits.MaxHeaderMessage ? full : full[..FrameLimits.MaxHeaderMessage];
    }

    /// <summary>
    /// A JSON decoder that stops as soon as its value is complete: when a frame without the end
    /// flag completes a JSON value, the (empty) end frame behind it is never read.
    /// </summary>
    private sealed class StopAtValueStream(DataMessageReadStream body, FrameReader frames, Action stopped) : DelegatingStream(body)
    {
        private readonly MemoryStream _seen = new();
        private bool _done;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_done)
            {
                return 0;
            }

            int n = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _seen.Write(buffer.Span[..n]);
            if (n > 0 && frames.PayloadRemaining == 0 && frames.Current is { End: false, Type: FrameType.Data } && IsCompleteValue())
            {
                _done = true;
                stopped();
            }

            return n;
        }

        private bool IsCompleteValue()
        {
            try
            {
                using var document = JsonDocument.Parse(_seen.GetBuffer().AsMemory(0, (int)_seen.Length));
                return true;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

        protected override void Dispose(bool disposing)
        {
        }
    }
}

/// <summary>Request-header parsers with a defect (HDR-4).</summary>
internal static class DefectiveHeaderParsers
{
    private static readonly string[] Known = ["Endpoint", "DataType", "Accept", "Error", "ErrorMessage"];

    /// <summary>Only the exact spelling counts: "endpoint" is an unknown field and ignored.</summary>
    public static RpcHeader CaseSensitive(ReadOnlySpan<byte> content)
    {
        var rewritten = Rewrite(content, name =>
            Known.Any(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) && !Known.Contains(name, StringComparer.Ordinal)
                ? "ignored-" + name
                : name);
        return RpcHeader.Parse(rewritten ?? content.ToArray());
    }

    /// <summary>A field the server does not know makes the header malformed.</summary>
    public static RpcHeader RejectUnknown(ReadOnlySpan<byte> content)
    {
        Rewrite(content, name => Known.Any(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase))
            ? name
            : throw new ProtocolException(RequirementId.Hdr4, $"unknown header field '{name}'"));
        return RpcHeader.Parse(content);
    }

    // Null when the content is not a JSON object: the correct parser then reports it as malformed.
    private static byte[]? Rewrite(ReadOnlySpan<byte> content, Func<string, string> rename)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(content.ToArray());
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var output = new MemoryStream();
            using (var writer = new Utf8JsonWriter(output))
            {
                writer.WriteStartObject();
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    writer.WritePropertyName(rename(property.Name));
                    property.Value.WriteTo(writer);
                }

                writer.WriteEndObject();
            }

            return output.ToArray();
        }
    }
}
