#!/usr/bin/env python3
"""Independent client for the zrepl frame RPC protocol, with a conformance client driver.

Written only from spec/protocol.md (section 9, client behaviour; requirement ids are cited where
they decide a behaviour) and conformance/CLIENT-DRIVER.md. Standard library only, Python 3.8+.

Reused from zrpc_server.py (imported, to keep this example small): the frame-layer reader
(FrameReader: FRAME-2/4/6/8/10/11 checks), SocketTransport (recv with a timeout), encode_frame,
parse_header / encode_header (HDR-4/5 decoding, HDR-2 encoding), the error classes and the
constants. The client logic (request framing, response checks, body handling, timeouts) is here.

    python3 zrpc_client.py --connect tcp://127.0.0.1:9000 < script.json
    python3 zrpc_client.py --connect tcp://127.0.0.1:9000 --profile fa4d209 < script.json

In profile fa4d209 (spec/profile-fa4d209.md) the numbers of MarshaledJSON and Octets are 3 and 4,
and the driver ends its last healthy connection with the Close handshake (FACLI-1 to FACLI-4),
reporting the outcome on a last line {"close": ...} (CLIENT-DRIVER.md). The script's "profile",
when present, overrides --profile.
"""
import argparse
import hashlib
import json
import select
import socket
import sys
import time

from zrpc_server import (CLOSE_ENDPOINT, CONTROL, DATA, HEADER, JSON_BODY, MAX_HEADER, MAX_PAYLOAD,
                         NONE, OCTETS, OK, PROFILES, RST, RST_FRAME, FrameReader, ProtocolError,
                         ReadTimeout, SocketTransport, encode_frame, encode_header, parse_header)

CLOSE_WAIT = 1.0   # FACLI-2: the longest wait for the Close answer

ACCEPTS = {"json": JSON_BODY, "octets": OCTETS, "none": NONE}
MAX_JSON_RESPONSE = 64 * 1024 * 1024
PATTERN = bytes(range(251)) * (MAX_PAYLOAD // 251 + 2)   # CTS-4 pattern, one frame's worth


class CallFailed(Exception):
    """The call failed and the connection is over (protocol error, reset, timeout)."""

    def __init__(self, message, requirement=None):
        super().__init__(message)
        self.requirement = requirement


class StatusResponse(Exception):
    """The server answered with a status other than OK (CLI-1); the connection stays usable."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class DeadlineTransport(SocketTransport):
    """recv bounded by the call's deadline (CLI-6) rather than a fresh timeout per read."""

    def __init__(self, sock):
        super().__init__(sock)
        self.deadline = None

    def recv(self, size, timeout):
        if self.deadline is not None:
            timeout = max(self.deadline - time.monotonic(), 0.001)
        return super().recv(size, timeout)


class Client:
    """One connection, one call at a time. Any failure ends the connection."""

    def __init__(self, address, timeout, profile="6ab05ee"):
        if not address.startswith("tcp://"):
            raise ValueError("only tcp://HOST:PORT addresses are supported")
        host, _, port = address[len("tcp://"):].rpartition(":")
        sock = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.transport = DeadlineTransport(sock)
        self.frames = FrameReader(self.transport, timeout)
        self.timeout = timeout
        self.ended = False
        self.wire = PROFILES[profile]  # body type -> the number on the wire

    def close_handshake(self):
        """fa4d209 (FACLI-1 to 4): Close request, its answer within 1 s, RST, close.
        Returns None when the close completed, else why not; the connection is closed either way."""
        self.transport.deadline = time.monotonic() + min(CLOSE_WAIT, self.timeout)
        try:
            self.transport.send(encode_frame(HEADER, True, encode_header(  # FARPC-2: no body
                endpoint=CLOSE_ENDPOINT, data_type=CONTROL, accept=CONTROL)))
            content = bytearray()
            while True:
                end, length = self._next_frame(HEADER, "where the Close answer was expected")
                if len(content) + length > MAX_HEADER:
                    raise ProtocolError("MSG-5", "Close answer over 4096 bytes")
                content += self.frames.read_payload(length)
                if end:
                    break
            header = parse_header(bytes(content))
            if header["Error"] != OK:  # FACLI-4: a failed close, with its status and message
                self.close()
                return "the server refused Close: status %d: %s" % (header["Error"], header["ErrorMessage"])
            if header["DataType"] != CONTROL:  # FACLI-4, CLI-3
                raise ProtocolError("FACLI-4", "OK Close answer with DataType %d" % header["DataType"])
        except ReadTimeout:
            self.close()  # FACLI-2: stop waiting; RST is allowed
            return "no answer to Close within %g s" % CLOSE_WAIT
        except (ProtocolError, CallFailed) as error:
            self.close()
            return str(error)
        except OSError as error:
            self.close(rst=False)
            return "transport error: %s" % error
        finally:
            self.transport.deadline = None
        self.close()  # FACLI-3: RST, then close; the server's RST stays unread
        return None

    def close(self, rst=True):
        if self.ended:
            return
        self.ended = True
        if rst:  # CONN-1/CONN-3: RST is optional before closing
            try:
                self.sock.settimeout(1)
                self.sock.sendall(RST_FRAME)
            except OSError:
                pass
        try:
            self.sock.close()
        except OSError:
            pass

    def call(self, endpoint, data_type, accept, body_chunks):
        """Returns (datatype, length, sha256, content or None); raises StatusResponse or CallFailed.
        data_type and accept are body types (JSON_BODY, OCTETS, NONE); the profile numbers them."""
        if self.ended:
            raise CallFailed("the connection has ended")
        self.transport.deadline = time.monotonic() + self.timeout
        try:
            self._check_unsolicited()
            self._send_request(endpoint, self.wire[data_type], self.wire[accept], body_chunks)
            return self._read_response(accept)
        except StatusResponse:
            raise
        except ReadTimeout:
            self.close()
            raise CallFailed("no complete response within %g s" % self.timeout, "CLI-6")
        except ProtocolError as error:
            self.close()
            raise CallFailed(str(error), error.requirement)
        except CallFailed:
            self.close(rst=False)
            raise
        except OSError as error:
            self.close(rst=False)
            raise CallFailed("transport error: %s" % error)
        finally:
            self.transport.deadline = None

    def _check_unsolicited(self):
        # CLI-5: bytes that arrived while no request was outstanding.
        if self.frames.buffer or select.select([self.sock], [], [], 0)[0]:
            if not self.frames.buffer:
                self.sock.settimeout(0.001)
                try:
                    chunk = self.sock.recv(1)
                except (socket.timeout, BlockingIOError):
                    return
                if not chunk:
                    raise CallFailed("the server closed the connection between calls", "CONN-3")
            raise ProtocolError("CLI-5", "bytes arrived while no request was outstanding")

    def _send_request(self, endpoint, data_type, accept, body_chunks):
        header = encode_header(endpoint=endpoint, data_type=data_type, accept=accept)  # RPC-2, HDR-2
        if len(header) > MAX_HEADER:
            raise ValueError("request header over 4096 bytes (MSG-5)")
        self.transport.send(encode_frame(HEADER, True, header))
        pending = bytearray()   # MSG-4: full 4 MiB frames with the end flag clear, then the rest
        for chunk in body_chunks:
            pending += chunk
            while len(pending) >= MAX_PAYLOAD:
                self.transport.send(encode_frame(DATA, False, bytes(pending[:MAX_PAYLOAD])))
                del pending[:MAX_PAYLOAD]
        self.transport.send(encode_frame(DATA, True, bytes(pending)))

    def _next_frame(self, expected_type, where):
        frame = self.frames.read_frame_header(idle=False)
        if frame is None:  # CLI-4: end of stream before the response was complete
            raise CallFailed("the server closed the connection %s" % where, "CLI-4")
        frame_type, end, length = frame
        if frame_type == RST:  # CONN-2
            raise CallFailed("the server reset the connection (RST) %s" % where, "CONN-2")
        if frame_type != expected_type:  # MSG-3
            raise ProtocolError("MSG-3", "frame type 0x%02x %s" % (frame_type, where))
        return end, length

    def _read_response(self, accept):
        content = bytearray()
        while True:
            end, length = self._next_frame(HEADER, "where a response header was expected")
            if len(content) + length > MAX_HEADER:  # MSG-5, before reading the payload
                raise ProtocolError("MSG-5", "response Header message over 4096 bytes")
            content += self.frames.read_payload(length)
            if end:
                break
        header = parse_header(bytes(content))  # HDR-4 leniency, HDR-5 errors
        status = header["Error"]
        if status == 0:
            raise ProtocolError("CLI-2", "response status 0 (unset)")
        if status != OK:  # CLI-1, RPC-6: any DataType/Accept, no body
            raise StatusResponse(status, header["ErrorMessage"])
        if header["DataType"] != self.wire[accept]:
            raise ProtocolError("CLI-3", "OK response has DataType %d, Accept was %d" % (header["DataType"], self.wire[accept]))
        digest, total, kept = hashlib.sha256(), 0, bytearray() if accept == JSON_BODY else None
        while True:  # CLI-4/CLI-7: read the Data message through its end-flagged frame
            end, length = self._next_frame(DATA, "inside the response body")
            payload = self.frames.read_payload(length)
            total += len(payload)
            digest.update(payload)
            if kept is not None:
                if total > MAX_JSON_RESPONSE:
                    raise ProtocolError("CLI-4", "JSON response body over the client's limit")
                kept += payload
            if end:
                return total, digest.hexdigest(), kept


def octet_chunks(spec):
    if "hex" in spec:
        yield bytes.fromhex(spec["hex"])
        return
    left, offset = int(spec["length"]), 0
    while left > 0:
        n = min(left, MAX_PAYLOAD)
        start = offset % 251
        yield PATTERN[start:start + n]
        left -= n
        offset += n


def run_script(script, address, out, profile="6ab05ee"):
    timeout = float(script.get("timeout", 10))
    profile = script.get("profile") or profile
    client = None
    for number, call in enumerate(script["calls"], start=1):
        line = {"call": number}
        try:
            accept = ACCEPTS[call["accept"]]
            if "json" in call:
                text = json.dumps(call["json"], separators=(",", ":"), ensure_ascii=False) + "\n"
                data_type, chunks = JSON_BODY, [text.encode("utf-8")]
            else:
                data_type, chunks = OCTETS, octet_chunks(call["octets"])
            if client is None or client.ended:
                try:
                    client = Client(address, timeout, profile)
                except OSError as error:
                    raise CallFailed("cannot connect to %s: %s" % (address, error))
            length, sha, kept = client.call(call["endpoint"], data_type, accept, chunks)
            line["outcome"] = "ok"
            if accept == JSON_BODY:
                try:
                    value = json.loads(bytes(kept).decode("utf-8"))  # RPC-7: one value, whitespace allowed
                except ValueError as error:
                    client.close()
                    raise CallFailed("undecodable JSON response body: %s" % error, "RPC-7")
                line.update(datatype="json", json=value)
            else:
                line.update(datatype="octets" if accept == OCTETS else "none", length=length, sha256=sha)
        except StatusResponse as status:
            line.update(outcome="status", status=status.status, message=str(status))
        except CallFailed as failure:
            line.update(outcome="error", message=str(failure))
            if failure.requirement:
                line["requirement"] = failure.requirement
        except Exception as error:  # the driver never crashes: a local failure is an error line
            if client is not None:
                client.close()
            line.update(outcome="error", message="%s: %s" % (type(error).__name__, error))
        out.write(json.dumps(line) + "\n")
        out.flush()
    if profile == "fa4d209":  # CLIENT-DRIVER.md: an explicit close, reported on the last line
        if client is None or client.ended:
            line = {"close": "none"}
        else:
            failure = client.close_handshake()
            line = {"close": "ok"} if failure is None else {"close": "error", "message": failure}
        out.write(json.dumps(line) + "\n")
        out.flush()
    if client is not None:
        client.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description="zrpc client driver (CLIENT-DRIVER.md): JSON script on stdin")
    parser.add_argument("--connect", required=True, help="tcp://HOST:PORT of the server")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="6ab05ee",
                        help="protocol profile when the script names none (docs/profiles.md)")
    options = parser.parse_args(argv)
    try:
        script = json.load(sys.stdin)
        if not isinstance(script, dict) or not isinstance(script.get("calls"), list):
            raise ValueError("the script must be an object with a list 'calls'")
        if script.get("profile") not in (None,) + tuple(PROFILES):
            raise ValueError("unknown profile %r" % (script.get("profile"),))
        for call in script["calls"]:
            if not isinstance(call, dict) or "endpoint" not in call or call.get("accept") not in ACCEPTS \
                    or ("json" in call) == ("octets" in call):
                raise ValueError("bad call %r" % (call,))
    except ValueError as error:
        print("zrpc_client: unusable script: %s" % error, file=sys.stderr)
        return 2
    run_script(script, options.connect, sys.stdout, options.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
