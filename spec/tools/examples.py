#!/usr/bin/env python3
"""Regenerates the byte-exact examples of spec/protocol.md, section 11.

    python3 spec/tools/examples.py            # print every example block
    python3 spec/tools/examples.py --check    # compare with the blocks in protocol.md

The encoding follows the 2017 Go implementation: frame header = type u8, end flag u8,
length u32 little-endian; headers are compact JSON with the five fields in order, then "\n".
"""
import json
import re
import struct
import sys
from pathlib import Path

HEADER, DATA, RST = 0x01, 0x02, 0xFF
TYPE_NAMES = {HEADER: "Header", DATA: "Data", RST: "RST"}
MAX_PAYLOAD = 4 * 1024 * 1024


def rpc_header(endpoint, data_type, accept, error, message):
    # Key order and compact separators as Go's encoding/json writes the struct.
    # ensure_ascii=False keeps non-ASCII as UTF-8; the examples use ASCII only, where
    # Python's escaping equals Go's (no <, >, & or control characters occur).
    obj = {"Endpoint": endpoint, "DataType": data_type, "Accept": accept,
           "Error": error, "ErrorMessage": message}
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    assert not any(c in text for c in "<>&"), "needs Go HTML escaping"
    return (text + "\n").encode("utf-8")


def frames(frame_type, content):
    """Canonical framing (MSG-4): full 4 MiB frames, then the remainder with end flag set."""
    out = []
    full = len(content) // MAX_PAYLOAD
    for i in range(full):
        out.append((frame_type, 0, content[i * MAX_PAYLOAD:(i + 1) * MAX_PAYLOAD]))
    out.append((frame_type, 1, content[full * MAX_PAYLOAD:]))
    return out


def comment(chunk, offset):
    """Readable form of a payload line: the text (line feed shown as \\n), or a byte range."""
    if all(0x20 <= b < 0x7F or b == 0x0A for b in chunk):
        return chunk.decode("ascii").replace("\n", "\\n")
    return "bytes %d..%d" % (offset, offset + len(chunk) - 1)


def render(frame_list):
    lines = []
    for ftype, end, payload in frame_list:
        head = struct.pack("<BBI", ftype, end, len(payload))
        lines.append("%s  # frame header: type 0x%02X %s, end flag %d, length %d"
                     % (" ".join("%02X" % b for b in head), ftype, TYPE_NAMES[ftype], end, len(payload)))
        for off in range(0, len(payload), 16):
            chunk = payload[off:off + 16]
            hexs = " ".join("%02X" % b for b in chunk).ljust(47)
            lines.append("%s  # %s" % (hexs, comment(chunk, off)))
    return "\n".join(lines)


def wire(frame_list):
    return b"".join(struct.pack("<BBI", t, e, len(p)) + p for t, e, p in frame_list)


def message(header_bytes, body=None):
    f = frames(HEADER, header_bytes)
    if body is not None:
        f += frames(DATA, body)
    return f


EXAMPLES = {
    "echo-request": message(rpc_header("Echo", 2, 2, 0, ""), b'{"a":1}\n'),
    "echo-response": message(rpc_header("", 2, 0, 1, ""), b'{"a":1}\n'),
    "fail-request": message(rpc_header("Fail", 2, 2, 0, ""), b'{"Message":"boom"}\n'),
    "fail-response": message(rpc_header("", 0, 0, 4, "boom")),
    "source-request": message(rpc_header("Source", 2, 3, 0, ""), b'{"Length":10}\n'),
    "source-response": message(rpc_header("", 3, 0, 1, ""), bytes(i % 251 for i in range(10))),
    "rst": [(RST, 1, b"")],
    "unregistered-endpoint-response": message(rpc_header("", 0, 0, 2, "unregistered endpoint Nope")),
}


def block(name):
    return "```hex example=%s\n%s\n```" % (name, render(EXAMPLES[name]))


def parse_hex(text):
    out = bytearray()
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        out += bytes(int(tok, 16) for tok in line.split())
    return bytes(out)


def check(path):
    doc = Path(path).read_text(encoding="utf-8")
    found = dict(re.findall(r"^```hex example=([a-z0-9-]+)\n(.*?)^```", doc, re.S | re.M))
    ok = True
    for name, fl in EXAMPLES.items():
        if name not in found:
            print("missing:", name); ok = False
        elif parse_hex(found[name]) != wire(fl):
            print("differs:", name); ok = False
        else:
            print("ok:", name, len(wire(fl)), "bytes")
    return ok


if __name__ == "__main__":
    if "--check" in sys.argv:
        target = Path(__file__).resolve().parent.parent / "protocol.md"
        sys.exit(0 if check(target) else 1)
    for n in EXAMPLES:
        print(block(n)); print()
