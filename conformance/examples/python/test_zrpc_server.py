"""Tests for zrpc_server.py, run over socket pairs, a real TCP listener and the CLI.

    python3 -m unittest discover -s conformance/examples/python -v
"""
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import unittest

import zrpc_server as zs

HERE = os.path.dirname(os.path.abspath(__file__))
MIB4 = 4 * 1024 * 1024
RST = b"\xff\x01\x00\x00\x00\x00"


# --- a tiny client, written separately from the server's own framing code -------------

def frame(frame_type, end, payload=b""):
    return struct.pack("<BBI", frame_type, end, len(payload)) + payload


def header(endpoint, data_type, accept):
    return json.dumps({"Endpoint": endpoint, "DataType": data_type, "Accept": accept,
                       "Error": 0, "ErrorMessage": ""}).encode()


def request(endpoint, data_type, accept, body=b"", body_frames=None):
    frames = body_frames if body_frames is not None else [body]
    data = b"".join(frame(2, 0, part) for part in frames[:-1]) + frame(2, 1, frames[-1])
    return frame(1, 1, header(endpoint, data_type, accept)) + data


def one_byte_frames(body):
    """1-byte frames with zero-length frames mixed in and an empty end frame (MSG-2)."""
    parts = [b""]
    for i in range(len(body)):
        parts += [body[i:i + 1]] + ([b""] if i % 3 == 0 else [])
    return parts + [b""]


class Peer:
    def __init__(self, sock):
        self.sock = sock
        sock.settimeout(20)

    def send(self, data):
        self.sock.sendall(data)

    def read_exact(self, size):
        data = bytearray()
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                break
            data += chunk
        return bytes(data)

    def read_message(self, expected_type):
        content, frames = bytearray(), []
        while True:
            raw = self.read_exact(6)
            if len(raw) < 6:
                raise AssertionError("connection ended inside a message: %r" % raw)
            frame_type, end, length = struct.unpack("<BBI", raw)
            if frame_type != expected_type:
                raise AssertionError("frame type %d, expected %d" % (frame_type, expected_type))
            content += self.read_exact(length)
            frames.append((length, end))
            if end:
                return bytes(content), frames

    def read_response(self):
        raw, _ = self.read_message(1)
        head = json.loads(raw, object_pairs_hook=lambda pairs: pairs)
        self.assert_keys([name for name, _ in head])
        head = dict(head)
        if head["Error"] != zs.OK:
            return raw, head, None, None
        body, frames = self.read_message(2)
        return raw, head, body, frames

    @staticmethod
    def assert_keys(names):
        if names != ["Endpoint", "DataType", "Accept", "Error", "ErrorMessage"]:  # HDR-2
            raise AssertionError("non-canonical header fields %r" % names)

    def call(self, endpoint, value, accept=2):
        self.send(request(endpoint, 2, accept, json.dumps(value).encode() + b"\n"))
        return self.read_response()

    def read_to_end(self):
        data = bytearray()
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                return bytes(data)
            data += chunk


class ServerTestCase(unittest.TestCase):
    read_timeout = 30.0

    def setUp(self):
        self.threads, self.sockets = [], []
        self.peer = self.connect()

    def connect(self):
        client, server = socket.socketpair()
        connection = zs.Connection(zs.SocketTransport(server), read_timeout=self.read_timeout)
        thread = threading.Thread(target=connection.serve, daemon=True)
        thread.start()
        self.threads.append(thread)
        self.sockets.append(client)
        return Peer(client)

    def tearDown(self):
        for sock in self.sockets:
            sock.close()
        for thread in self.threads:
            thread.join(10)
            self.assertFalse(thread.is_alive(), "a connection thread did not end")

    def assert_echo_works(self, peer):
        _, head, body, _ = peer.call("Echo", {"after": [1, "x"]})
        self.assertEqual(head["Error"], zs.OK)
        self.assertEqual(json.loads(body), {"after": [1, "x"]})

    def assert_rst_then_close(self, peer):
        self.assertEqual(peer.read_to_end(), RST)  # CONN-1: RST, then nothing but the close


# --- the four CTS endpoints ---------------------------------------------------------------

class EndpointTests(ServerTestCase):
    def test_echo_returns_compact_go_escaped_json_and_canonical_ok_header(self):  # CTS-2, HDR-2/3
        body = '{"b":[1, 2.50, -0, 1E400, "<&>\u2028\\n\\u0001\u00e9"], "a":null, "t":true}'
        self.peer.send(request("Echo", 2, 2, body.encode()))
        raw, _, response, frames = self.peer.read_response()
        self.assertEqual(raw, b'{"Endpoint":"","DataType":2,"Accept":0,"Error":1,"ErrorMessage":""}\n')
        self.assertEqual(response, b'{"b":[1,2.50,-0,1E400,"\\u003c\\u0026\\u003e\\u2028\\n'
                                   b'\\u0001\xc3\xa9"],"a":null,"t":true}\n')
        self.assertEqual(frames, [(len(response), 1)])  # MSG-4

    def test_echo_accepts_whitespace_around_the_value(self):  # RPC-7
        self.peer.send(request("Echo", 2, 2, b" \r\n\t[true] \n\n"))
        self.assertEqual(self.peer.read_response()[2], b"[true]\n")

    def test_echo_body_in_one_byte_frames_with_empty_end_frame(self):  # MSG-2, SRV-8
        value = {"k": "v" * 10, "n": [1, 2, 3]}
        body = json.dumps(value).encode()
        self.peer.send(request("Echo", 2, 2, body_frames=one_byte_frames(body)))
        self.assertEqual(json.loads(self.peer.read_response()[2]), value)
        self.assert_echo_works(self.peer)

    def test_echo_accepts_16_mib_bodies(self):  # CTS-6
        text = "z" * (16 * 1024 * 1024) + "<\u00e9>"
        body = json.dumps(text, ensure_ascii=False).encode()
        parts = [body[i:i + MIB4] for i in range(0, len(body), MIB4)]
        self.peer.send(request("Echo", 2, 2, body_frames=parts))
        _, head, response, frames = self.peer.read_response()
        self.assertEqual(head["Error"], zs.OK)
        self.assertEqual(json.loads(response), text)
        self.assertEqual([f for f in frames[:-1]], [(MIB4, 0)] * (len(response) // MIB4))

    def test_fail_answers_status_4_with_the_message_and_no_body(self):  # CTS-3, SRV-5
        _, head, body, _ = self.peer.call("Fail", {"Message": "boom \u00e9"})
        self.assertEqual((head["Error"], head["ErrorMessage"], body), (zs.ERROR, "boom \u00e9", None))
        self.assertEqual((head["Endpoint"], head["DataType"], head["Accept"]), ("", 0, 0))  # RPC-5
        self.assert_echo_works(self.peer)

    def test_fail_with_long_message_is_shortened_to_4096_bytes(self):  # HDR-8
        for message in ["\u00e9" * 3000, "<" * 2000, "a\u20ac" * 2000]:
            with self.subTest(message=message[:4]):
                raw, head, _, _ = self.peer.call("Fail", {"Message": message})
                self.assertLessEqual(len(raw), 4096)
                self.assertTrue(raw.endswith(b"}\n"))
                self.assertTrue(message.startswith(head["ErrorMessage"]))
                shortfall = 4096 - len(raw)  # only the next character would not fit
                next_char = message[len(head["ErrorMessage"])]
                self.assertLess(shortfall, len(zs.quote(next_char).encode()) - 2)

    def test_source_streams_i_mod_251_in_canonical_frames(self):  # CTS-4, MSG-4
        cases = {0: [(0, 1)], 1000: [(1000, 1)], MIB4: [(MIB4, 0), (0, 1)],
                 MIB4 + 3: [(MIB4, 0), (3, 1)]}
        for length, expected_frames in cases.items():
            with self.subTest(length=length):
                _, head, body, frames = self.peer.call("Source", {"Length": length}, accept=3)
                self.assertEqual(head["DataType"], zs.OCTETS)
                self.assertEqual(frames, expected_frames)
                self.assertEqual(body, bytes(i % 251 for i in range(length)))

    def test_sink_hashes_a_body_split_into_one_byte_frames(self):  # CTS-5, MSG-2
        body = os.urandom(700)
        self.peer.send(request("Sink", 3, 2, body_frames=one_byte_frames(body)))
        _, head, response, _ = self.peer.read_response()
        self.assertEqual(json.loads(response),
                         {"Length": 700, "SHA256": hashlib.sha256(body).hexdigest()})

    def test_sink_of_empty_and_multi_frame_bodies(self):  # RPC-9
        for parts in ([b""], [os.urandom(MIB4), os.urandom(MIB4), os.urandom(5)]):
            with self.subTest(frames=len(parts)):
                self.peer.send(request("Sink", 3, 2, body_frames=parts))
                whole = b"".join(parts)
                self.assertEqual(json.loads(self.peer.read_response()[2]),
                                 {"Length": len(whole), "SHA256": hashlib.sha256(whole).hexdigest()})

    def test_pipelined_requests_are_answered_in_order(self):  # RPC-10
        self.peer.send(request("Echo", 2, 2, b"1") + request("Nope", 2, 2, b"{}")
                       + request("Source", 2, 3, b'{"Length":5}') + request("Echo", 2, 2, b'"last"'))
        self.assertEqual(self.peer.read_response()[2], b"1\n")
        self.assertEqual(self.peer.read_response()[1]["Error"], zs.REQUEST_ERROR)
        self.assertEqual(self.peer.read_response()[2], bytes(range(5)))
        self.assertEqual(self.peer.read_response()[2], b'"last"\n')


# --- early answers drain the body (SRV-1..4, SRV-7) --------------------------------------

class DrainTests(ServerTestCase):
    CASES = {
        "SRV-1 unregistered endpoint": ("Nope", 2, 2, b'{"a":1}'),
        "SRV-2 wrong DataType": ("Echo", 3, 2, b"raw octets"),
        "SRV-2 DataType None": ("Echo", 1, 2, b""),
        "SRV-3 wrong Accept": ("Echo", 2, 3, b'{"a":1}'),
        "SRV-4 trailing data": ("Echo", 2, 2, b'{"a":1} x'),
        "SRV-4 truncated JSON": ("Echo", 2, 2, b'{"a":'),
        "SRV-4 invalid UTF-8": ("Echo", 2, 2, b'"\xff"'),
        "SRV-4 NaN": ("Echo", 2, 2, b"NaN"),
        "SRV-4 Message not a string": ("Fail", 2, 2, b'{"Message":5}'),
        "SRV-4 negative Length": ("Source", 2, 3, b'{"Length":-1}'),
        "SRV-4 fractional Length": ("Source", 2, 3, b'{"Length":1.5}'),
        "SRV-4 Length over u64": ("Source", 2, 3, b'{"Length":18446744073709551616}'),
    }

    def test_status_2_then_the_connection_serves_the_next_call(self):
        for name, (endpoint, data_type, accept, body) in self.CASES.items():
            with self.subTest(name):
                # split into several frames so an undrained body would be read as a header
                parts = [body[:2], b"", body[2:], b""]
                self.peer.send(request(endpoint, data_type, accept, body_frames=parts))
                _, head, response, _ = self.peer.read_response()
                self.assertEqual((head["Error"], response), (zs.REQUEST_ERROR, None))
                self.assertEqual((head["Endpoint"], head["DataType"], head["Accept"]), ("", 0, 0))
                self.assertNotEqual(head["ErrorMessage"], "")
                self.assert_echo_works(self.peer)


# --- JSON bodies that are not valid text (RPC-13) ---------------------------------------------

class BodyTextTests(ServerTestCase):
    def test_lone_surrogate_escapes_are_replaced_and_never_a_server_error(self):  # RPC-13
        for body in (b'{"a":"x\\ud800y"}', b'{"a":"x\\udc00y"}'):
            with self.subTest(body):
                self.peer.send(request("Echo", 2, 2, body_frames=[body]))
                _, head, response, _ = self.peer.read_response()
                self.assertEqual(head["Error"], zs.OK)
                self.assertEqual(json.loads(response), {"a": "x\ufffdy"})


# --- header parsing (HDR-4..7) --------------------------------------------------------------

class HeaderTests(ServerTestCase):
    def call_with_raw_header(self, peer, raw_header, body=b"[1]"):
        peer.send(frame(1, 1, raw_header) + frame(2, 1, body))

    def test_lenient_headers_are_accepted(self):  # HDR-4, HDR-7
        headers = [
            b' \n{"endpoint":"Echo","DATATYPE":2,"accept":2,"Unknown":[1,{"x":null}],'
            b'"Error":null,"errormessage":null} \r\n\t',
            b'{"Endpoint":"Nope","eNdPoInT":"Echo","DataType":3,"datatype":2,"Accept":2}',
            b'{"Endpoint":"Echo","DataType":2,"Accept":2,"Error":18446744073709551615}',
        ]
        for raw in headers:
            with self.subTest(raw):
                self.call_with_raw_header(self.peer, raw)
                self.assertEqual(self.peer.read_response()[2], b"[1]\n")

    def test_header_of_exactly_4096_bytes_in_two_frames(self):  # MSG-5, FRAME-4
        raw = header("Echo", 2, 2)
        raw += b" " * (4096 - len(raw))
        self.peer.send(frame(1, 0, raw[:4000]) + frame(1, 0x80, raw[4000:]) + frame(2, 7, b"2"))
        self.assertEqual(self.peer.read_response()[2], b"2\n")

    def test_malformed_headers_end_the_connection_with_rst(self):  # HDR-5, HDR-6, SRV-10
        headers = [b"", b"null", b"[]", b'"Echo"', b'{"Endpoint":"Echo"} x', b'{"Endpoint":"Echo"}{}',
                   b'{"DataType":2.0}', b'{"DataType":2e0}', b'{"DataType":-1}', b'{"DataType":-0}',
                   b'{"DataType":256}', b'{"DataType":true}', b'{"DataType":"2"}', b'{"DataType":NaN}',
                   b'{"Error":18446744073709551616}', b'{"Endpoint":5}', b'{"Endpoint":"Ec\xffho"}',
                   b'\xef\xbb\xbf{"Endpoint":"Echo"}']
        for raw in headers:
            with self.subTest(raw):
                peer = self.connect()
                self.call_with_raw_header(peer, raw)
                self.assert_rst_then_close(peer)


# --- protocol errors and connection ends (FRAME-*, MSG-*, CONN-*) --------------------------

class ProtocolErrorTests(ServerTestCase):
    def test_oversize_frame_is_rejected_from_its_header_alone(self):  # FRAME-6
        for frame_type in (1, 2):
            with self.subTest(frame_type=frame_type):
                peer = self.connect()
                if frame_type == 2:
                    peer.send(frame(1, 1, header("Sink", 3, 2)))
                peer.send(struct.pack("<BBI", frame_type, 0, MIB4 + 1))  # no payload follows
                self.assert_rst_then_close(peer)

    def test_frames_that_end_the_connection(self):
        cases = {
            "FRAME-10 Trailer": frame(3, 1, b""),
            "FRAME-2 unknown type": frame(4, 1, b""),
            "MSG-5 header over 4096 in one frame": struct.pack("<BBI", 1, 1, 4097),
            "MSG-5 header over 4096 in two frames": frame(1, 0, b" " * 4000) + struct.pack("<BBI", 1, 1, 97),
            "MSG-3 Data frame instead of Header": frame(2, 1, b"{}"),
            "MSG-3 Header frame inside the body": frame(1, 1, header("Echo", 2, 2)) + frame(2, 0, b"[")
            + frame(1, 1, b"]"),
            "FRAME-10 Trailer inside the body": frame(1, 1, header("Sink", 3, 2)) + frame(3, 1, b""),
        }
        for name, data in cases.items():
            with self.subTest(name):
                peer = self.connect()
                peer.send(data)
                self.assert_rst_then_close(peer)

    def test_end_of_stream_inside_a_request_is_a_protocol_error(self):  # FRAME-11, CONN-4
        cases = {
            "inside a frame header": frame(1, 1, header("Echo", 2, 2))[:3],
            "inside a payload": struct.pack("<BBI", 1, 1, 10) + b"{}",
            "between header and body": frame(1, 1, header("Echo", 2, 2)),
            "inside the body": frame(1, 1, header("Echo", 2, 2)) + frame(2, 0, b"[1"),
        }
        for name, data in cases.items():
            with self.subTest(name):
                peer = self.connect()
                peer.send(data)
                peer.sock.shutdown(socket.SHUT_WR)
                self.assert_rst_then_close(peer)  # and certainly no OK response

    def test_quiet_close_at_a_request_boundary(self):  # CONN-3, CONN-2
        for name, data in {"end of stream": b"", "RST": RST, "RST with odd flag/length": b"\xff\x00\x09\x00\x00\x00",
                           "RST inside a body": frame(1, 1, header("Sink", 3, 2)) + frame(2, 0, b"ab") + RST}.items():
            with self.subTest(name):
                peer = self.connect()
                self.assert_echo_works(peer)
                peer.send(data)
                peer.sock.shutdown(socket.SHUT_WR)
                self.assertEqual(peer.read_to_end(), b"")


class ReadTimeoutTests(ServerTestCase):
    read_timeout = 0.3

    def test_stalled_frame_times_out_with_rst(self):  # CONN-5
        self.peer.send(frame(1, 1, header("Echo", 2, 2)) + b"\x02\x01")
        self.assert_rst_then_close(self.peer)


# --- listeners and the command line (TRANS-1..3) ------------------------------------------

class ListenerTests(unittest.TestCase):
    def test_a_stalled_connection_does_not_block_another(self):  # TRANS-2, TRANS-3
        listener, address = zs.open_listener("tcp://127.0.0.1:0")
        threading.Thread(target=zs.accept_loop, args=(listener,), daemon=True).start()
        port = int(address.rpartition(":")[2])
        try:
            with socket.create_connection(("127.0.0.1", port)) as stalled:
                stalled.sendall(b"\x01\x01\x10")  # half a frame header, then silence
                with socket.create_connection(("127.0.0.1", port)) as other:
                    _, head, body, _ = Peer(other).call("Echo", [42])
                    self.assertEqual(body, b"[42]\n")
        finally:
            listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def run_cli(self, address, **kwargs):
        process = subprocess.Popen([sys.executable, os.path.join(HERE, "zrpc_server.py"),
                                    "--listen", address, "--quiet"], stderr=subprocess.PIPE, **kwargs)
        self.addCleanup(process.wait, 10)
        self.addCleanup(process.stderr.close)
        line = process.stderr.readline().decode()
        self.assertTrue(line.startswith("listening on "), line)
        return process, line.strip()[len("listening on "):]

    def test_cli_tcp_port_0_prints_the_actual_port(self):
        process, address = self.run_cli("tcp://127.0.0.1:0")
        self.addCleanup(process.kill)
        port = int(address.rpartition(":")[2])
        self.assertNotEqual(port, 0)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            self.assertEqual(Peer(sock).call("Echo", {"x": 1})[2], b'{"x":1}\n')

    def test_cli_stdio_serves_one_connection(self):
        process, address = self.run_cli("stdio", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.assertEqual(address, "stdio")
        output, _ = process.communicate(request("Source", 2, 3, b'{"Length":3}') + RST, timeout=20)
        ok = b'{"Endpoint":"","DataType":3,"Accept":0,"Error":1,"ErrorMessage":""}\n'
        self.assertEqual(output, frame(1, 1, ok) + frame(2, 1, b"\x00\x01\x02"))
        self.assertEqual(process.returncode, 0)


# --- encoders (HDR-2, HDR-3, MSG-4) ---------------------------------------------------------

class EncoderTests(unittest.TestCase):
    def test_quote_escapes_like_the_go_peer(self):  # HDR-3
        self.assertEqual(zs.quote('"\\\n\r\t\x00\x1f\x08\x0c<>&\u2028\u2029\x7f\u00e9\ud800'),
                         '"\\"\\\\\\n\\r\\t\\u0000\\u001f\\u0008\\u000c\\u003c\\u003e\\u0026'
                         '\\u2028\\u2029\x7f\u00e9\ufffd"')

    def test_header_is_canonical(self):  # HDR-2
        self.assertEqual(zs.encode_header("A\u00e9", 3, 2, 18446744073709551615, "m"),
                         '{"Endpoint":"A\u00e9","DataType":3,"Accept":2,"Error":18446744073709551615,'
                         '"ErrorMessage":"m"}\n'.encode())

    def test_data_writer_frames_canonically(self):  # MSG-4
        for chunks, expected in [([], [(0, 1)]), ([b"a" * (MIB4 - 1), b"bc"], [(MIB4, 0), (1, 1)]),
                                 ([b"x" * (2 * MIB4)], [(MIB4, 0), (MIB4, 0), (0, 1)])]:
            frames = []
            writer = zs.DataMessageWriter(frames.append)
            for chunk in chunks:
                writer.write(chunk)
            writer.close()
            self.assertEqual([struct.unpack("<BBI", f[:6])[1:] for f in frames],
                             [(end, length) for length, end in expected])
            self.assertEqual(b"".join(f[6:] for f in frames), b"".join(chunks))


# --- profile fa4d209 (spec/profile-fa4d209.md) -------------------------------------------

CLOSE_REQUEST = b'{"Endpoint":"Close","DataType":2,"Accept":2,"Error":0,"ErrorMessage":""}\n'
CLOSE_ANSWER = b'{"Endpoint":"","DataType":2,"Accept":0,"Error":1,"ErrorMessage":""}\n'


class Fa4d209ServerTests(ServerTestCase):
    def connect(self):
        client, server = socket.socketpair()
        connection = zs.Connection(zs.SocketTransport(server), profile="fa4d209")
        thread = threading.Thread(target=connection.serve, daemon=True)
        thread.start()
        self.threads.append(thread)
        self.sockets.append(client)
        return Peer(client)

    def test_json_and_octets_are_numbered_3_and_4(self):  # FAHDR-1, FACTS-1
        self.peer.send(request("Echo", 3, 3, b'{"a":1}\n'))
        raw, head, body, _ = self.peer.read_response()
        self.assertEqual(raw, b'{"Endpoint":"","DataType":3,"Accept":0,"Error":1,"ErrorMessage":""}\n')
        self.assertEqual(json.loads(body), {"a": 1})
        self.peer.send(request("Source", 3, 4, b'{"Length":3}\n'))
        _, head, body, _ = self.peer.read_response()
        self.assertEqual((head["DataType"], body), (4, bytes([0, 1, 2])))

    def test_close_is_answered_then_rst_then_close(self):  # FASRV-3, FACONN-1/2
        self.peer.send(frame(1, 1, CLOSE_REQUEST) + request("Echo", 3, 3, b"{}\n"))
        raw, _ = self.peer.read_message(1)
        self.assertEqual(raw, CLOSE_ANSWER)
        self.assertEqual(self.peer.read_to_end(), RST)  # the Echo behind Close is not served

    def test_other_control_endpoints_are_refused_and_the_connection_goes_on(self):  # FASRV-2
        self.peer.send(frame(1, 1, header("Nope", 2, 2)))
        raw, head, body, _ = self.peer.read_response()
        self.assertEqual((head["Error"], head["ErrorMessage"]), (zs.REQUEST_ERROR, "unregistered control endpoint Nope"))
        self.peer.send(request("Echo", 3, 3, b"[1]\n"))
        self.assertEqual(json.loads(self.peer.read_response()[2]), [1])

    def test_a_body_after_a_control_request_is_a_protocol_error(self):  # FASRV-4
        self.peer.send(frame(1, 1, header("Echo", 2, 2)) + frame(2, 1, b"{}\n"))
        self.assertEqual(self.peer.read_response()[1]["Error"], zs.REQUEST_ERROR)
        self.assertEqual(self.peer.read_to_end(), RST)

    def test_end_of_stream_gets_rst_before_the_close(self):  # FACONN-1
        self.peer.sock.shutdown(socket.SHUT_WR)
        self.assertEqual(self.peer.read_to_end(), RST)


class Fa4d209DriverTests(unittest.TestCase):
    def test_the_driver_closes_with_the_handshake_and_reports_it(self):  # FACLI-1/3, CLIENT-DRIVER.md
        import io
        import zrpc_client
        listener, address = zs.open_listener("tcp://127.0.0.1:0")
        threading.Thread(target=zs.accept_loop, args=(listener,), kwargs={"profile": "fa4d209"}, daemon=True).start()
        try:
            out = io.StringIO()
            zrpc_client.run_script({"timeout": 5, "profile": "fa4d209", "calls": [
                {"endpoint": "Echo", "accept": "json", "json": {"a": 1}},
                {"endpoint": "Sink", "accept": "json", "octets": {"hex": "0001"}}]}, address, out)
            lines = [json.loads(line) for line in out.getvalue().splitlines()]
            self.assertEqual(lines[0]["json"], {"a": 1})
            self.assertEqual(lines[1]["json"]["Length"], 2)
            self.assertEqual(lines[2], {"close": "ok"})
        finally:
            listener.close()


if __name__ == "__main__":
    unittest.main()
