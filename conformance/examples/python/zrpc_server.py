#!/usr/bin/env python3
"""Independent server for the zrepl frame RPC protocol and the Conformance Test Service.

Written only from the requirement catalogue (requirement ids such as FRAME-6 are cited
where they decide a behaviour). Standard library only, Python 3.8+.

    python3 zrpc_server.py --listen tcp://127.0.0.1:9000
    python3 zrpc_server.py --listen unix:///tmp/zrpc.sock
    python3 zrpc_server.py --listen stdio
    python3 zrpc_server.py --listen tcp://127.0.0.1:9000 --profile fa4d209

Two protocol profiles: 6ab05ee (spec/protocol.md, the default) and fa4d209
(spec/profile-fa4d209.md: MarshaledJSON 3, Octets 4, control requests with DataType 2, the
Close handshake and an RST whenever the server stops serving a connection).
"""
import argparse
import hashlib
import json
import os
import re
import select
import socket
import struct
import sys
import threading
import time

# --- constants ---------------------------------------------------------------------------

FRAME_HEADER = struct.Struct("<BBI")   # FRAME-1: type u8, end flag u8, length u32 LE
HEADER, DATA, TRAILER, RST = 0x01, 0x02, 0x03, 0xFF
MAX_PAYLOAD = 4 * 1024 * 1024          # FRAME-5/6
MAX_HEADER = 4096                      # MSG-5
RST_FRAME = bytes([0xFF, 0x01, 0, 0, 0, 0])  # FRAME-9

NONE, JSON_BODY, OCTETS = 1, 2, 3      # HDR-9 DataType
# The numbers each profile sends for MarshaledJSON and Octets (HDR-9, FAHDR-1); JSON_BODY and
# OCTETS above name the body types inside this program.
PROFILES = {"6ab05ee": {NONE: NONE, JSON_BODY: 2, OCTETS: 3}, "fa4d209": {NONE: NONE, JSON_BODY: 3, OCTETS: 4}}
CONTROL = 2                            # FAHDR-1: control requests and their OK answer (fa4d209)
CLOSE_ENDPOINT = "Close"               # FARPC-4: the only control endpoint
HANGUP_WAIT = 1.0                      # FACONN-2/3: after its RST the server waits at most 1 s
OK, REQUEST_ERROR, SERVER_ERROR, ERROR = 1, 2, 3, 4   # HDR-9 status

DEFAULT_READ_TIMEOUT = 30.0            # CONN-5
MAX_JSON_BODY = 32 * 1024 * 1024       # SRV-12; CTS-6 needs at least 16 MiB


# --- errors ------------------------------------------------------------------------------

class ProtocolError(Exception):
    """The byte stream can no longer be trusted: send RST and close (CONN-1)."""

    def __init__(self, requirement, detail):
        super().__init__("%s: %s" % (requirement, detail))
        self.requirement = requirement


class ReadTimeout(ProtocolError):
    def __init__(self):
        super().__init__("CONN-5", "read timeout while a frame or message was incomplete")


class PeerReset(Exception):
    """The peer sent RST: the connection is over, nothing more is sent (CONN-2)."""


class CallError(Exception):
    """A call fails with a status response; the connection stays usable (SRV-9)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


# --- transports: a byte stream with a read timeout ---------------------------------------

class SocketTransport:
    def __init__(self, sock):
        self.sock = sock

    def recv(self, size, timeout):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(size)
        except socket.timeout:
            raise ReadTimeout()

    def send(self, data):
        self.sock.settimeout(None)  # a slow reader is not a protocol error
        self.sock.sendall(data)

    def abort(self):
        """RST then close (CONN-1). Unread input is drained for a moment first: closing a
        TCP socket with unread data makes the kernel reset the connection, which can
        destroy our RST frame before the peer reads it."""
        try:
            self.send(RST_FRAME)
            self.sock.shutdown(socket.SHUT_WR)
            deadline, discarded = time.monotonic() + 1.0, 0
            while discarded < 2 * MAX_PAYLOAD and time.monotonic() < deadline:
                self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                discarded += len(chunk)
        except OSError:
            pass
        self.close()

    def hangup(self, wait):
        """RST, then the client's first byte or end of stream for at most `wait` s, then close (FACONN-1 to 3)."""
        try:
            self.send(RST_FRAME)
            self.sock.settimeout(wait)
            self.sock.recv(64)
        except OSError:
            pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class StdioTransport:
    """One connection on a pair of pipes (TRANS-1). select() gives the read timeout."""

    def __init__(self, in_fd, out_fd):
        self.in_fd, self.out_fd = in_fd, out_fd

    def recv(self, size, timeout):
        if timeout is not None and not select.select([self.in_fd], [], [], timeout)[0]:
            raise ReadTimeout()
        return os.read(self.in_fd, size)

    def send(self, data):
        view = memoryview(data)
        while view:
            view = view[os.write(self.out_fd, view):]

    def abort(self):
        try:
            self.send(RST_FRAME)
        except OSError:
            pass
        self.close()

    def hangup(self, wait):
        try:
            self.send(RST_FRAME)
            if select.select([self.in_fd], [], [], wait)[0]:
                os.read(self.in_fd, 64)
        except OSError:
            pass
        self.close()

    def close(self):
        for fd in (self.out_fd, self.in_fd):
            try:
                os.close(fd)
            except OSError:
                pass


# --- frame layer -------------------------------------------------------------------------

def encode_frame(frame_type, end, payload=b""):
    if len(payload) > MAX_PAYLOAD:  # FRAME-5
        raise ValueError("frame payload over 4 MiB")
    # FRAME-3 (flag 0 or 1) and FRAME-12 (header and payload as one buffer, one write)
    return FRAME_HEADER.pack(frame_type, 1 if end else 0, len(payload)) + payload


class FrameReader:
    def __init__(self, transport, read_timeout):
        self.transport = transport
        self.read_timeout = read_timeout
        self.buffer = bytearray()

    def _read_exact(self, size):
        """Returns `size` bytes, or fewer only at end of stream."""
        while len(self.buffer) < size:
            want = min(max(size - len(self.buffer), 65536), 1024 * 1024)
            chunk = self.transport.recv(want, self.read_timeout)
            if not chunk:
                break
            self.buffer += chunk
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def read_frame_header(self, idle):
        """Returns (type, end, length), or None at end of stream before the first byte.
        With idle=True the wait for the first byte has no timeout (CONN-5 only applies once
        something has begun to arrive; CONN-6 recommends no idle timeout)."""
        if idle and not self.buffer:
            chunk = self.transport.recv(65536, None)
            if not chunk:
                return None
            self.buffer += chunk
        raw = self._read_exact(FRAME_HEADER.size)
        if not raw:
            return None
        if len(raw) < FRAME_HEADER.size:
            raise ProtocolError("FRAME-11", "end of stream inside a frame header")
        frame_type, end, length = FRAME_HEADER.unpack(raw)
        if frame_type == RST:  # FRAME-8: by type alone; its length is never looked at
            return RST, True, 0
        if frame_type == TRAILER:
            raise ProtocolError("FRAME-10", "Trailer frame received")
        if frame_type not in (HEADER, DATA):
            raise ProtocolError("FRAME-2", "unknown frame type 0x%02x" % frame_type)
        if length > MAX_PAYLOAD:  # FRAME-6: decided before reading any payload
            raise ProtocolError("FRAME-6", "frame length %d exceeds 4 MiB" % length)
        return frame_type, end != 0, length  # FRAME-4: any non-zero flag is set

    def read_payload(self, length):
        payload = self._read_exact(length)
        if len(payload) < length:
            raise ProtocolError("FRAME-11", "end of stream inside a frame payload")
        return payload


# --- message layer -----------------------------------------------------------------------

class MessageReader:
    def __init__(self, frames):
        self.frames = frames

    def read_header_message(self):
        """The next request's Header message, or None when the peer ended the connection
        at a request boundary (CONN-3)."""
        content = bytearray()
        first = True
        while True:
            frame = self.frames.read_frame_header(idle=first)
            if frame is None:
                if first:
                    return None
                raise ProtocolError("CONN-4", "end of stream inside a Header message")
            frame_type, end, length = frame
            if frame_type == RST:
                raise PeerReset()  # at a boundary (CONN-3) or mid-message (CONN-2)
            if frame_type != HEADER:
                raise ProtocolError("MSG-3", "frame type 0x%02x inside a Header message" % frame_type)
            if len(content) + length > MAX_HEADER:  # MSG-5: before reading the payload
                raise ProtocolError("MSG-5", "Header message exceeds 4096 bytes")
            content += self.frames.read_payload(length)
            if end:
                return bytes(content)
            first = False

    def data_message(self):
        return DataMessageReader(self.frames)


class DataMessageReader:
    """A Data message consumed as a stream of frame payloads (MSG-6)."""

    def __init__(self, frames):
        self.frames = frames
        self.complete = False

    def chunks(self):
        while not self.complete:
            frame = self.frames.read_frame_header(idle=False)
            if frame is None:
                raise ProtocolError("CONN-4", "end of stream before the request body ended")
            frame_type, end, length = frame
            if frame_type == RST:
                raise PeerReset()
            if frame_type != DATA:
                raise ProtocolError("MSG-3", "frame type 0x%02x inside a Data message" % frame_type)
            payload = self.frames.read_payload(length)
            self.complete = end
            yield payload

    def drain(self):
        """SRV-7/SRV-8: consume the body through its end frame, whatever was read of it."""
        for _ in self.chunks():
            pass


class DataMessageWriter:
    """Canonical framing (MSG-4): full 4 MiB frames with the end flag clear, then the
    remainder (possibly empty) with the end flag set."""

    def __init__(self, emit):
        self.emit = emit
        self.pending = bytearray()

    def write(self, data):
        if not self.pending and len(data) == MAX_PAYLOAD:
            self.emit(encode_frame(DATA, False, data))
            return
        self.pending += data
        while len(self.pending) >= MAX_PAYLOAD:
            self.emit(encode_frame(DATA, False, bytes(self.pending[:MAX_PAYLOAD])))
            del self.pending[:MAX_PAYLOAD]

    def close(self):
        self.emit(encode_frame(DATA, True, bytes(self.pending)))
        self.pending = bytearray()


# --- JSON values (bodies and headers) ----------------------------------------------------

class JsonNumber(str):
    """A number kept as its literal text, so Echo returns it numerically equal (CTS-2)."""
    __slots__ = ()


class JsonInteger(JsonNumber):
    __slots__ = ()


class JsonObject(list):
    """An object as its (name, value) pairs in order, duplicates included (HDR-7)."""
    __slots__ = ()


def _reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def parse_json(text):
    """Exactly one JSON value with optional whitespace around it (RPC-7, HDR-5)."""
    small_ints = {}

    def integer(literal):  # share short literals: a 16 MiB array of small numbers stays small
        if len(literal) > 8 or len(small_ints) > 4096:
            return JsonInteger(literal)
        return small_ints.setdefault(literal, JsonInteger(literal))

    return json.loads(text, object_pairs_hook=JsonObject, parse_int=integer,
                      parse_float=JsonNumber, parse_constant=_reject_constant)


# HDR-3: the escaping of the 2017 (Go) peer. Lone surrogates, which Python's decoder lets
# through from \ud800-style escapes, become U+FFFD so the output is always valid UTF-8 (HDR-6).
_ESCAPES = {c: "\\u%04x" % c for c in range(0x20)}
_ESCAPES.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", ord('"'): '\\"', ord("\\"): "\\\\",
                 ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                 0x2028: "\\u2028", 0x2029: "\\u2029"})
_ESCAPES.update({c: "\ufffd" for c in range(0xD800, 0xE000)})
_NEEDS_ESCAPE = re.compile("[\x00-\x1f\"\\\\<>&\u2028\u2029\ud800-\udfff]")


def quote(text):
    if _NEEDS_ESCAPE.search(text) is None:
        return '"' + text + '"'
    return '"' + text.translate(_ESCAPES) + '"'


def encode_json(value):
    """Compact JSON text (RPC-8) of a parsed value or of plain Python dict/list/int/str."""
    parts = []
    _encode_into(value, parts.append)
    return "".join(parts)


def _encode_into(value, emit):
    if value is None:
        emit("null")
    elif value is True or value is False:
        emit("true" if value else "false")
    elif isinstance(value, JsonNumber):
        emit(value)
    elif isinstance(value, str):
        emit(quote(value))
    elif isinstance(value, int):
        emit(str(value))
    elif isinstance(value, (JsonObject, dict)):
        members = dict(value)  # duplicate names: the last value wins
        emit("{")
        for index, (name, member) in enumerate(members.items()):
            emit("," if index else "")
            emit(quote(name) + ":")
            _encode_into(member, emit)
        emit("}")
    elif isinstance(value, list):
        emit("[")
        for index, item in enumerate(value):
            emit("," if index else "")
            _encode_into(item, emit)
        emit("]")
    else:
        raise TypeError("cannot encode %r as JSON" % type(value))


STRING, U8, U64 = "string", 0xFF, 0xFFFFFFFFFFFFFFFF


def decode_fields(obj, fields):
    """Go-style struct decoding (HDR-4, HDR-5, HDR-7): `fields` maps the ASCII-lowercased
    name to (name, kind). Raises ValueError for a known field of the wrong type or range."""
    result = {name: ("" if kind == STRING else 0) for name, kind in fields.values()}
    for key, value in obj:
        ascii_lower = key.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")
        if ascii_lower not in fields:
            continue  # HDR-4: unknown fields are ignored
        name, kind = fields[ascii_lower]
        if value is None:
            result[name] = "" if kind == STRING else 0
        elif kind == STRING:
            if not isinstance(value, str) or isinstance(value, JsonNumber):
                raise ValueError("%s must be a string" % name)
            result[name] = value
        else:
            # bool, fraction, exponent, sign and out-of-range values are all rejected
            if (not isinstance(value, JsonInteger) or value.startswith("-")
                    or len(value) > 20 or int(value) > kind):
                raise ValueError("%s must be an integer in 0..%d" % (name, kind))
            result[name] = int(value)
    return result


# --- RPC header --------------------------------------------------------------------------

HEADER_FIELDS = {"endpoint": ("Endpoint", STRING), "datatype": ("DataType", U8),
                 "accept": ("Accept", U8), "error": ("Error", U64),
                 "errormessage": ("ErrorMessage", STRING)}


def parse_header(raw):
    try:
        value = parse_json(raw.decode("utf-8"))  # HDR-6: invalid UTF-8 is malformed
        if not isinstance(value, JsonObject):
            raise ValueError("the header is not a JSON object")
        return decode_fields(value, HEADER_FIELDS)
    except (ValueError, RecursionError) as error:
        raise ProtocolError("HDR-5", "malformed header: %s" % error)


def encode_header(endpoint="", data_type=0, accept=0, status=0, message=""):
    """HDR-2 canonical header; HDR-8 shortens a long ErrorMessage character by character,
    so the cut never falls inside a UTF-8 sequence or an escape."""
    def build(quoted_message):
        return ('{"Endpoint":%s,"DataType":%d,"Accept":%d,"Error":%d,"ErrorMessage":%s}\n'
                % (quote(endpoint), data_type, accept, status, quoted_message)).encode("utf-8")

    encoded = build(quote(message))
    if len(encoded) <= MAX_HEADER:
        return encoded
    budget = MAX_HEADER - len(build('""'))
    if budget < 0:
        raise ValueError("header over 4096 bytes even with an empty ErrorMessage")
    kept, used = [], 0
    for char in message:
        piece = quote(char)[1:-1]
        size = len(piece.encode("utf-8"))
        if used + size > budget:
            break
        kept.append(piece)
        used += size
    return build('"' + "".join(kept) + '"')


def header_frame(**fields):
    """A header is at most 4096 bytes, so its canonical framing is one frame (MSG-4)."""
    return encode_frame(HEADER, True, encode_header(**fields))


# --- the Conformance Test Service (CTS-1) ------------------------------------------------

class Endpoint:
    def __init__(self, request_type, response_type, handler, fields=None):
        self.request_type = request_type
        self.response_type = response_type
        self.handler = handler
        self.fields = fields  # decode the JSON body as a struct with these fields


class HandlerFailure(Exception):
    pass


def echo(value):  # CTS-2
    return value


def fail(request):  # CTS-3
    raise HandlerFailure(request["Message"])


_PATTERN = bytes(range(251)) * (MAX_PAYLOAD // 251 + 2)


def source(request):  # CTS-4: byte i is i mod 251, generated one frame at a time
    length = request["Length"]

    def chunks():
        view, sent = memoryview(_PATTERN), 0
        while sent < length:
            size = min(MAX_PAYLOAD, length - sent)
            start = sent % 251
            yield view[start:start + size]
            sent += size
    return chunks()


def sink(chunks):  # CTS-5: hashed as it arrives, never held whole (MSG-6)
    digest, length = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        length += len(chunk)
    return {"Length": length, "SHA256": digest.hexdigest()}


CTS_ENDPOINTS = {
    "Echo": Endpoint(JSON_BODY, JSON_BODY, echo),
    "Fail": Endpoint(JSON_BODY, JSON_BODY, fail, {"message": ("Message", STRING)}),
    "Source": Endpoint(JSON_BODY, OCTETS, source, {"length": ("Length", U64)}),
    "Sink": Endpoint(OCTETS, JSON_BODY, sink),
}


# --- RPC server: one connection ----------------------------------------------------------

class Connection:
    def __init__(self, transport, endpoints=None, read_timeout=DEFAULT_READ_TIMEOUT,
                 log=lambda message: None, profile="6ab05ee"):
        self.transport = transport
        self.profile = profile
        self.wire = PROFILES[profile]  # body type -> the number on the wire
        self.closed = False
        self.endpoints = CTS_ENDPOINTS if endpoints is None else endpoints
        self.messages = MessageReader(FrameReader(transport, read_timeout))
        self.log = log

    def serve(self):
        try:
            while self._serve_one_request():
                pass
            if self.closed:
                self.log("connection closed with the Close handshake")
                return
            self.log("peer closed the connection")
            self._end_quietly()
        except PeerReset:
            self.log("peer sent RST")
            self._end_quietly()
        except ProtocolError as error:
            self.log("protocol error, sending RST: %s" % error)
            self.transport.abort()
        except OSError as error:
            self.log("connection failed: %s" % error)
            self.transport.close()

    def _end_quietly(self):
        """CONN-3: not an error. fa4d209 still sends RST before closing (FACONN-1)."""
        if self.profile == "fa4d209":
            try:
                self.transport.send(RST_FRAME)
            except OSError:
                pass
        self.transport.close()

    def _serve_one_request(self):
        raw = self.messages.read_header_message()
        if raw is None:
            return False  # CONN-3
        header = parse_header(raw)  # SRV-10: malformed -> ProtocolError, no response
        if self.profile == "fa4d209" and header["DataType"] == CONTROL:
            return self._control(header)  # FASRV-1: by DataType alone, no body, Accept ignored
        body = self.messages.data_message()  # RPC-1: a body follows every request header
        try:
            self._call(header, body)
        except CallError as error:
            self._send(header_frame(status=error.status, message=str(error)))  # RPC-5
        body.drain()  # SRV-7, after early answers and handlers that stop reading early
        return True   # SRV-9

    def _control(self, header):
        name = header["Endpoint"]
        if name != CLOSE_ENDPOINT:  # FASRV-2: refused, no body, the connection goes on
            self._send(header_frame(status=REQUEST_ERROR, message="unregistered control endpoint %s" % name))
            return True
        self._send(header_frame(data_type=CONTROL, status=OK))  # FASRV-3, FARPC-3: no body
        self.closed = True
        self.transport.hangup(HANGUP_WAIT)  # FACONN-1 to 3; nothing after Close is read as a request
        return False

    def _call(self, header, body):
        name = header["Endpoint"]
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            raise CallError(REQUEST_ERROR, "unregistered endpoint %s" % quote(name))  # SRV-1
        if header["DataType"] != self.wire[endpoint.request_type]:
            raise CallError(REQUEST_ERROR, "wrong DataType %d, endpoint %s takes %d"
                            % (header["DataType"], name, self.wire[endpoint.request_type]))  # SRV-2
        if header["Accept"] != self.wire[endpoint.response_type]:
            raise CallError(REQUEST_ERROR, "wrong Accept %d, endpoint %s returns %d"
                            % (header["Accept"], name, self.wire[endpoint.response_type]))  # SRV-3
        if endpoint.request_type == JSON_BODY:
            argument = self._decode_json_body(body, endpoint.fields)
        else:
            argument = body.chunks()
        try:
            result = endpoint.handler(argument)
        except (ProtocolError, PeerReset):
            raise  # the handler was reading the body when the connection broke
        except Exception as error:
            raise CallError(ERROR, str(error))  # SRV-5
        if endpoint.response_type == JSON_BODY:
            self._send_json_response(result)
        else:
            self._send_octets_response(result)

    def _decode_json_body(self, body, fields):
        content = bytearray()
        for chunk in body.chunks():  # SRV-8: through the end frame before decoding
            content += chunk
            if len(content) > MAX_JSON_BODY:
                raise CallError(REQUEST_ERROR, "JSON body over %d bytes" % MAX_JSON_BODY)  # SRV-12
        try:
            value = parse_json(content.decode("utf-8"))
            if fields is None:
                return value
            if value is None:  # null decodes as an all-zero struct, as the Go peer does
                value = JsonObject()
            if not isinstance(value, JsonObject):
                raise ValueError("the body is not a JSON object")
            return decode_fields(value, fields)
        except (ValueError, RecursionError) as error:
            raise CallError(REQUEST_ERROR, "cannot decode marshaled JSON: %s" % error)  # SRV-4

    def _send_json_response(self, result):
        try:
            payload = (encode_json(result) + "\n").encode("utf-8")
        except (TypeError, ValueError, RecursionError) as error:
            raise CallError(SERVER_ERROR, "cannot encode the response: %s" % error)  # SRV-6
        parts = [header_frame(data_type=self.wire[JSON_BODY], status=OK)]  # RPC-4
        writer = DataMessageWriter(parts.append)
        writer.write(payload)
        writer.close()
        self._send(b"".join(parts))

    def _send_octets_response(self, chunks):
        self._send(header_frame(data_type=self.wire[OCTETS], status=OK))
        writer = DataMessageWriter(self._send)
        try:
            for chunk in chunks:
                writer.write(chunk)
        except Exception as error:  # SRV-11: never end a partial body with the end flag
            raise ProtocolError("SRV-11", "response stream failed: %s" % error)
        writer.close()

    def _send(self, data):
        self.transport.send(data)


# --- listeners and command line ----------------------------------------------------------

def accept_loop(listener, read_timeout=DEFAULT_READ_TIMEOUT, log=lambda message: None, profile="6ab05ee"):
    """One thread per connection (TRANS-2, TRANS-3). Returns when the listener is closed."""
    while True:
        try:
            sock, peer = listener.accept()
        except OSError:
            if listener.fileno() == -1:
                return
            time.sleep(0.1)  # e.g. out of file descriptors: try again later
            continue
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer_name = str(peer or "unix peer")

        def connection_log(message, peer_name=peer_name):
            log("%s: %s" % (peer_name, message))
        connection = Connection(SocketTransport(sock), read_timeout=read_timeout, log=connection_log, profile=profile)
        threading.Thread(target=connection.serve, daemon=True).start()


def open_listener(address):
    """Returns (listening socket, printable address) for tcp://host:port or unix:///path."""
    if address.startswith("tcp://"):
        host_part, _, port = address[len("tcp://"):].rpartition(":")
        host = host_part.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.create_server((host, int(port)), family=family)
        return listener, "tcp://%s:%d" % (host_part, listener.getsockname()[1])  # port 0 resolved
    if address.startswith("unix://"):
        path = address[len("unix://"):]
        if os.path.exists(path):
            os.unlink(path)  # a stale socket file from an earlier run
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen()
        return listener, address
    raise ValueError("unsupported listen address %r (tcp://HOST:PORT, unix:///PATH, stdio)" % address)


def main(argv=None):
    parser = argparse.ArgumentParser(description="zrpc conformance test server (independent Python)")
    parser.add_argument("--listen", required=True, help="tcp://HOST:PORT, unix:///PATH or stdio")
    parser.add_argument("--read-timeout", type=float, default=DEFAULT_READ_TIMEOUT,
                        help="seconds to wait inside an incomplete frame or message (CONN-5)")
    parser.add_argument("--quiet", action="store_true", help="log nothing but the listening line")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="6ab05ee",
                        help="protocol profile (docs/profiles.md); default 6ab05ee")
    options = parser.parse_args(argv)

    def log(message):
        if not options.quiet:
            print(message, file=sys.stderr, flush=True)

    try:
        if options.listen == "stdio":
            # The protocol gets private copies of stdin/stdout; fds 0 and 1 then point at
            # /dev/null, so a stray print can never corrupt the byte stream.
            transport = StdioTransport(os.dup(0), os.dup(1))
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)
            print("listening on stdio", file=sys.stderr, flush=True)
            Connection(transport, read_timeout=options.read_timeout, log=log, profile=options.profile).serve()
            return 0
        listener, printable = open_listener(options.listen)
        print("listening on %s" % printable, file=sys.stderr, flush=True)
        accept_loop(listener, options.read_timeout, log, options.profile)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
