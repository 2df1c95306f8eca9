using System.Buffers;
using System.Text.Json;
using Zrpc.Frames;
using Zrpc.Messages;

namespace Zrpc.Rpc;

public sealed partial class RpcServer
{
    /// <summary>The state of one connection: reads a request, answers it.</summary>
    private sealed class ServerSession(RpcServer server, ServerConnection open, MessageReader reader, ReadTimeouts timeouts, MessageWriter writer)
    {
        private readonly long id = open.Id;

        /// <summary>Requests whose header was read on this connection.</summary>
        public int RequestsServed { get; private set; }

        private static readonly byte[] OkJsonHeader = RpcHeader.Ok(DataType.MarshaledJson).ToCanonicalBytes();

        /// <summary>True from a request's header until its response is out; false while idle between requests.</summary>
        public bool InRequest => Volatile.Read(ref _inRequest);

        private bool _inRequest;

        /// <summary>The request being served has a MarshaledJSON body and is counted in the server's JSON calls in flight.</summary>
        private bool _jsonCall;

        /// <summary>Serves one request; false when the peer ended the connection at a request boundary (CONN-3).</summary>
        public async Task<bool> ServeRequestAsync(CancellationToken ct)
        {
            var headerBytes = await reader.ReadHeaderMessageAsync(ct).ConfigureAwait(false);
            if (headerBytes is null)
            {
                if (reader.ResetReceived)
                {
                    server.Log($"connection {id}: RST at a request boundary (CONN-3)");
                }

                return false;
            }

            Volatile.Write(ref _inRequest, true);
            Volatile.Write(ref open.IdleSince, 0);
            RequestsServed++;
            try
            {
                return await HandleRequestAsync(headerBytes.Value, ct).ConfigureAwait(false);
            }
            finally
            {
                if (_jsonCall)
                {
                    _jsonCall = false;
                    Interlocked.Decrement(ref server._jsonCallsInFlight);
                }

                Volatile.Write(ref open.IdleSince, System.Diagnostics.Stopwatch.GetTimestamp());
                Volatile.Write(ref _inRequest, false);
            }
        }

        private async Task<bool> HandleRequestAsync(ReadOnlyMemory<byte> headerBytes, CancellationToken ct)
        {

            // Malformed → ProtocolException → RST and close, never an error response (SRV-10).
            var header = server.Options.Hooks.ParseRequestHeader(headerBytes.Span);
            var profile = server.Options.Profile;
            if (CloseHandshake.IsControlRequest(profile, header))
            {
                return await AnswerControlRequestAsync(header, ct).ConfigureAwait(false); // FASRV-1: no body, no endpoint
            }

            var body = reader.OpenDataMessageStream();
            timeouts.StartRateFloor(server.Options.MinRequestBodyRate, server.Options.ReadTimeout);

            if (!server.TryGetEndpoint(header.Endpoint, out var endpoint))
            {
                await RejectAsync(body, Status.RequestError, Endpoint.Unregistered(header.Endpoint), ct).ConfigureAwait(false); // SRV-1
                return true;
            }

            if (header.DataType != profile.Wire(endpoint.RequestType))
            {
                await RejectAsync(body, Status.RequestError, endpoint.WrongDataType(header.DataType, profile), ct).ConfigureAwait(false); // SRV-2
                return true;
            }

            if (header.Accept != profile.Wire(endpoint.ResponseType))
            {
                await RejectAsync(body, Status.RequestError, endpoint.WrongAccept(header.Accept, profile), ct).ConfigureAwait(false); // SRV-3
                return true;
            }

            object? request;
            if (endpoint.RequestType == DataType.Octets)
            {
                request = body;
            }
            else
            {
                // Counted until the response is out (ServeRequestAsync): the decoded value and its
                // answer live that long, and the server gives memory back only when none does.
                _jsonCall = true;
                Interlocked.Increment(ref server._jsonCallsInFlight);
                var (decoded, decodeError) = await DecodeJsonBodyAsync(body, server.Options.Hooks.JsonBodySource(body, reader.Frames), endpoint.RequestClrType, ct).ConfigureAwait(false);
                if (decodeError is not null)
                {
                    await RejectAsync(body, Status.RequestError, decodeError, ct).ConfigureAwait(false); // SRV-4 / SRV-12
                    return true;
                }

                request = decoded;
            }

            object? response;
            try
            {
                response = await endpoint.InvokeAsync(request, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (body.Fault is null && !(ex is OperationCanceledException && ct.IsCancellationRequested))
            {
                await RejectAsync(body, Status.Error, ex.Message, ct).ConfigureAwait(false); // SRV-5
                return true;
            }
            catch (Exception) when (body.Fault is ProtocolException fault)
            {
                // The request body itself broke (truncated, RST, bad frame): a connection error (CONN-4).
                throw fault;
            }

            // The request must be consumed before anything is answered (SRV-7); a body that breaks
            // here (truncated, RST) rethrows and ends the connection without an OK (CONN-4).
            try
            {
                if (server.Options.Hooks.DrainAfterHandler(body))
                {
                    await body.DrainAsync(ct).ConfigureAwait(false);
                }
            }
            catch
            {
                await DisposeQuietlyAsync(response as Stream).ConfigureAwait(false);
                throw;
            }

            if (endpoint.ResponseType == DataType.MarshaledJson)
            {
                byte[] json;
                try
                {
                    json = RpcJson.Serialize(response, endpoint.ResponseClrType);
                }
                catch (Exception ex)
                {
                    await RespondErrorAsync(Status.ServerError, $"cannot marshal response: {ex.Message}", ct).ConfigureAwait(false); // SRV-6
                    return true;
                }

                // Header and body in one write: one segment per response.
                await writer.WriteHeaderAndDataMessageAsync(profile == Profile.P6ab05ee ? OkJsonHeader : Profiles.OkHeader(profile, DataType.MarshaledJson), json, ct).ConfigureAwait(false);
                return true;
            }

            if (response is not Stream octets)
            {
                await RespondErrorAsync(Status.ServerError, "handler returned no response stream", ct).ConfigureAwait(false); // SRV-6
                return true;
            }

            await using (octets.ConfigureAwait(false))
            {
                await writer.WriteHeaderMessageAsync(Profiles.OkHeader(profile, DataType.Octets), ct).ConfigureAwait(false);
                await SendOctetsAsync(octets, ct).ConfigureAwait(false);
            }

            return true;
        }

        /// <summary>Profile fa4d209: answers a control request; false after Close, so that the connection is torn down (FASRV-2, FASRV-3).</summary>
        private async Task<bool> AnswerControlRequestAsync(RpcHeader header, CancellationToken ct)
        {
            var (answer, close) = CloseHandshake.Answer(header);
            await writer.WriteHeaderMessageAsync(answer.ToCanonicalBytes(), ct).ConfigureAwait(false);
            server.Log(close ? $"connection {id}: Close request answered; RST and close follow (FASRV-3)" : $"connection {id}: unregistered control endpoint {header.Endpoint} (FASRV-2)");
            return !close;
        }

        private async Task SendOctetsAsync(Stream source, CancellationToken ct)
        {
            var message = writer.OpenDataMessage();
            try
            {
                while (true)
                {
                    // The handler's stream reads straight into the frame buffer: no copy in between.
                    var space = await message.GetFrameSpaceAsync(ct).ConfigureAwait(false);
                    int n;
                    try
                    {
                        n = await source.ReadAsync(space, ct).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
                    {
                        // Never put the end flag on a partial body (SRV-11).
                        message.Abort();
                        throw new HandlerStreamException(ex);
                    }

                    if (n == 0)
                    {
                        break;
                    }

                    message.Advance(n);
                }

                await message.CompleteAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                message.Abort();
            }
        }

        private async Task<(object? Value, string? Error)> DecodeJsonBodyAsync(DataMessageReadStream body, Stream source, Type type, CancellationToken ct)
        {
            long limit = server.Options.MaxJsonBody;
            // Pooled and grown by doubling: a fresh 64 KiB writer per call would be most of a call's allocation.
            // Big buffers are not pooled (the pool would keep them after a peak), and all buffers
            // together stay within the server's JSON budget.
            byte[] buffer = Array.Empty<byte>();
            long reserved = 0;
            int length = 0;
            try
            {
                while (true)
                {
                    if (buffer.Length - length < 1024)
                    {
                        // Only the growth is counted: the old buffer goes as soon as it is copied.
                        int size = buffer.Length == 0 ? 4096 : (int)Math.Min((long)buffer.Length * 2, Array.MaxLength);
                        if (!server.ReserveJson(size - buffer.Length))
                        {
                            ReturnJsonBuffer(buffer);
                            buffer = Array.Empty<byte>();
                            server.ReleaseJson(reserved);
                            reserved = 0;
                            await body.DrainAsync(ct).ConfigureAwait(false);
                            return (null, BudgetExceeded(body));
                        }

                        reserved += size - buffer.Length;
                        byte[] grown = size <= PooledJsonLimit ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
                        buffer.AsSpan(0, length).CopyTo(grown);
                        ReturnJsonBuffer(buffer);
                        buffer = grown;
                    }

                    int n = await source.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    if (length + (long)n > limit)
                    {
                        await body.DrainAsync(ct).ConfigureAwait(false);
                        return (null, $"cannot decode marshaled JSON: body of {body.BytesRead} bytes exceeds the server's {limit}-byte limit (SRV-12)");
                    }

                    length += n;
                }

                if (!System.Text.Unicode.Utf8.IsValid(buffer.AsSpan(0, length)))
                {
                    return (null, "cannot decode marshaled JSON: the body is not valid UTF-8 (RPC-13)");
                }

                if (JsonBodyChecks.LoneSurrogateEscape(buffer.AsSpan(0, length)) is { } escape)
                {
                    return (null, $"cannot decode marshaled JSON: the string {escape} has an escaped surrogate that is not part of a pair (RPC-13)");
                }

                if (JsonBodyChecks.TooDeep(buffer.AsSpan(0, length), server.Options.MaxJsonDepth))
                {
                    return (null, $"cannot decode marshaled JSON: nested deeper than the server's limit of {server.Options.MaxJsonDepth} (SRV-12)");
                }

                try
                {
                    return (RpcJson.Deserialize(buffer.AsSpan(0, length), type), null);
                }
                catch (JsonException ex)
                {
                    return (null, $"cannot decode marshaled JSON: {ex.Message}");
                }
                catch (Exception ex) when (ex is NotSupportedException or ArgumentException or InvalidOperationException or FormatException)
                {
                    return (null, $"cannot decode marshaled JSON: {ex.Message}");
                }
            }
            finally
            {
                ReturnJsonBuffer(buffer);
                server.ReleaseJson(reserved);
            }
        }

        private string BudgetExceeded(DataMessageReadStream body) =>
            $"cannot decode marshaled JSON: body of {body.BytesRead} bytes does not fit in the server's memory for JSON bodies now ({server.Options.MaxJsonBodiesTotal} bytes over all connections) (SRV-12)";

        private static void ReturnJsonBuffer(byte[] buffer)
        {
            if (buffer.Length is > 0 and <= PooledJsonLimit)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private async Task RejectAsync(DataMessageReadStream body, Status status, string message, CancellationToken ct)
        {
            if (server.Options.Hooks.DrainRejectedBody(body))
            {
                await body.DrainAsync(ct).ConfigureAwait(false);
            }

            await RespondErrorAsync(status, message, ct).ConfigureAwait(false);
        }

        private async Task RespondErrorAsync(Status status, string message, CancellationToken ct)
        {
            server.Log($"connection {id}: answering status {(ulong)status}: {LogText.Clean(message)}");
            await writer.WriteHeaderMessageAsync(server.Options.Hooks.EncodeFailure(status, message), ct).ConfigureAwait(false);
            await writer.Frames.FlushAsync(ct).ConfigureAwait(false);
        }

        private static async ValueTask DisposeQuietlyAsync(Stream? stream)
        {
            if (stream is null)
            {
                return;
            }

            try
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                // Already failing the connection.
            }
        }
    }
}
