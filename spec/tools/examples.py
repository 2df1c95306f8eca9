#!/usr/bin/env python3
"""Regenerates the byte-exact examples of the spec: spec/protocol.md section 11 (profile
6ab05ee) and spec/profile-fa4d209.md section 6 (profile fa4d209).

    python3 spec/tools/examples.py                    # print every block of protocol.md
    python3 spec/tools/examples.py --profile fa4d209  # print every block of profile-fa4d209.md
    python3 spec/tools/examples.py --check            # compare both documents with what this writes

Example names are unique across the documents (the fa4d209 ones start with "fa4d209-"), so a
test can look a block up by name alone.

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
    "sink-request": message(rpc_header("Sink", 3, 2, 0, ""), bytes(range(10))),
    "sink-response": message(rpc_header("", 2, 0, 1, ""),
                             b'{"Length":10,"SHA256":"1f825aa2f0020ef7cf91dfa30da4668d791c5d4824fc8e41354b89ec05795ab3"}\n'),
    "none-request": message(rpc_header("Nope", 1, 1, 0, ""), b""),
}


# Profile fa4d209 (spec/profile-fa4d209.md): None 1, Control 2, MarshaledJSON 3, Octets 4.
FA_NONE, FA_CONTROL, FA_JSON, FA_OCTETS = 1, 2, 3, 4
SINK_10 = EXAMPLES["sink-response"][-1][2]

EXAMPLES_FA4D209 = {
    "fa4d209-close-request": message(rpc_header("Close", FA_CONTROL, FA_CONTROL, 0, "")),
    "fa4d209-close-response": message(rpc_header("", FA_CONTROL, 0, 1, "")),
    "fa4d209-unregistered-control-endpoint-request": message(rpc_header("Nope", FA_CONTROL, FA_CONTROL, 0, "")),
    "fa4d209-unregistered-control-endpoint-response":
        message(rpc_header("", 0, 0, 2, "unregistered control endpoint Nope")),
    "fa4d209-none-request": message(rpc_header("Nope", FA_NONE, FA_NONE, 0, ""), b""),
    "fa4d209-none-response": message(rpc_header("", 0, 0, 2, "unregistered endpoint Nope")),
    "fa4d209-echo-request": message(rpc_header("Echo", FA_JSON, FA_JSON, 0, ""), b'{"a":1}\n'),
    "fa4d209-echo-response": message(rpc_header("", FA_JSON, 0, 1, ""), b'{"a":1}\n'),
    "fa4d209-fail-request": message(rpc_header("Fail", FA_JSON, FA_JSON, 0, ""), b'{"Message":"boom"}\n'),
    "fa4d209-fail-response": message(rpc_header("", 0, 0, 4, "boom")),
    "fa4d209-source-request": message(rpc_header("Source", FA_JSON, FA_OCTETS, 0, ""), b'{"Length":10}\n'),
    "fa4d209-source-response": message(rpc_header("", FA_OCTETS, 0, 1, ""), bytes(i % 251 for i in range(10))),
    "fa4d209-sink-request": message(rpc_header("Sink", FA_OCTETS, FA_JSON, 0, ""), bytes(range(10))),
    "fa4d209-sink-response": message(rpc_header("", FA_JSON, 0, 1, ""), SINK_10),
}

DOCUMENTS = {"protocol.md": EXAMPLES, "profile-fa4d209.md": EXAMPLES_FA4D209}
assert not set(EXAMPLES) & set(EXAMPLES_FA4D209), "example names must be unique across documents"


def block(name, examples=EXAMPLES):
    return "```hex example=%s\n%s\n```" % (name, render(examples[name]))


def parse_hex(text):
    out = bytearray()
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        out += bytes(int(tok, 16) for tok in line.split())
    return bytes(out)


def check(path, examples=EXAMPLES):
    doc = Path(path).read_text(encoding="utf-8")
    found = dict(re.findall(r"^```hex example=([a-z0-9-]+)\n(.*?)^```", doc, re.S | re.M))
    ok = True
    for name in sorted(set(found) - set(examples)):
        print("not generated here:", name, "in", Path(path).name); ok = False
    for name, fl in examples.items():
        if name not in found:
            print("missing:", name); ok = False
        elif parse_hex(found[name]) != wire(fl):
            print("differs:", name); ok = False
        else:
            print("ok:", name, len(wire(fl)), "bytes")
    return ok


if __name__ == "__main__":
    spec = Path(__file__).resolve().parent.parent
    if "--check" in sys.argv:
        results = [check(spec / doc, examples) for doc, examples in DOCUMENTS.items()]
        sys.exit(0 if all(results) else 1)
    chosen = EXAMPLES_FA4D209 if "fa4d209" in sys.argv[1:] else EXAMPLES
    for n in chosen:
        print(block(n, chosen)); print()
