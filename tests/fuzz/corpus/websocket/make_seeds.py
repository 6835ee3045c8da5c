"""Write the WebSocket fuzz seeds (``*.bin``) beside this file; run it again to rebuild them.

    .venv/bin/python tests/fuzz/corpus/websocket/make_seeds.py

Each seed is the byte stream one peer sends after the handshake. Names say how to read it:
``unmasked`` seeds are server-to-client frames (a reader with ``require_mask=False``), all
others client-to-server (masked); ``deflate`` seeds need permessage-deflate negotiated, and
``nct`` ones were compressed without context takeover. Mask keys are fixed, so the files are
byte-for-byte reproducible.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

HERE = Path(__file__).parent
KEY = b"\x37\xfa\x21\x3d"
TAIL = b"\x00\x00\xff\xff"


def frame(
    op: int,
    payload: bytes,
    *,
    fin: bool = True,
    rsv1: bool = False,
    mask: bool = True,
    long64: bool = False,
) -> bytes:
    b0 = op | (0x80 if fin else 0) | (0x40 if rsv1 else 0)
    mbit = 0x80 if mask else 0
    n = len(payload)
    if long64:
        head = struct.pack("!BBQ", b0, 127 | mbit, n)
    elif n < 126:
        head = bytes((b0, n | mbit))
    elif n < 65536:
        head = struct.pack("!BBH", b0, 126 | mbit, n)
    else:
        head = struct.pack("!BBQ", b0, 127 | mbit, n)
    if not mask:
        return head + payload
    return head + KEY + bytes(b ^ KEY[i % 4] for i, b in enumerate(payload))


def deflate_messages(
    texts: list[bytes], *, takeover: bool = True, final: bool = False
) -> list[bytes]:
    comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    out = []
    for text in texts:
        if not takeover or final:
            comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        data = comp.compress(text) + comp.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)
        out.append(data[:-4] if data.endswith(TAIL) else data)
    return out


def close_body(code: int, reason: bytes = b"") -> bytes:
    return code.to_bytes(2, "big") + reason


SENTENCE = b"the quick brown fox jumps over the lazy dog; "
d1, d2 = deflate_messages([SENTENCE * 3, SENTENCE * 4])
n1, n2 = deflate_messages([SENTENCE * 2, SENTENCE * 2], takeover=False)
(f1,) = deflate_messages([b"bfinal " * 20], final=True)
(big,) = deflate_messages([bytes(range(256)) * 4 + SENTENCE * 10])
SEEDS: dict[str, bytes] = {
    "01-text-hello": frame(0x1, b"hello"),
    "02-binary-300-len16": frame(0x2, bytes(range(256)) + bytes(44)),
    "03-text-len64-small": frame(0x1, b"sixty-four bit length", long64=True),
    "04-fragmented-utf8-with-ping": frame(0x1, "h\u00e9".encode()[:2], fin=False)
    + frame(0x9, b"in between")
    + frame(0x0, "h\u00e9".encode()[2:] + b" w\xc3", fin=False)
    + frame(0x0, b"\xb6rld"),
    "05-control-frames": frame(0x9, b"ping!") + frame(0xA, b"") + frame(0xA, b"p" * 125),
    "06-close-with-reason": frame(0x1, b"last")
    + frame(0x8, close_body(1000, "bye \u2713".encode())),
    "07-close-empty": frame(0x8, b""),
    "08-pipelined-messages": b"".join(frame(0x1 + (i % 2), b"m%d" % i) for i in range(12)),
    "09-empty-and-125": frame(0x1, b"") + frame(0x2, b"") + frame(0x2, b"x" * 125),
    "10-invalid-utf8": frame(0x1, b"ok \xff\xfe"),
    "11-close-one-byte": frame(0x8, b"\x03"),
    "12-unmasked-server-stream": frame(0x1, b"from server", mask=False)
    + frame(0x9, b"hb", mask=False)
    + frame(0x2, b"\x00" * 200, mask=False)
    + frame(0x8, close_body(1001), mask=False),
    "13-deflate-context-takeover": frame(0x1, d1, rsv1=True) + frame(0x1, d2, rsv1=True),
    "14-deflate-fragmented": frame(0x2, big[:40], rsv1=True, fin=False)
    + frame(0x9, b"")
    + frame(0x0, big[40:90], fin=False)
    + frame(0x0, big[90:]),
    "15-deflate-nct": frame(0x1, n1, rsv1=True) + frame(0x1, n2, rsv1=True),
    "16-deflate-bfinal": frame(0x1, f1, rsv1=True) + frame(0x1, f1, rsv1=True),
    "17-deflate-mixed-with-plain": frame(0x1, b"plain", rsv1=False) + frame(0x1, d1, rsv1=True),
    "18-unmasked-deflate-server-stream": frame(0x1, d1, rsv1=True, mask=False)
    + frame(0x1, d2, rsv1=True, mask=False),
    "19-bad-close-code": frame(0x8, close_body(1005)),
    "20-reserved-opcode-and-rsv": frame(0x3, b"x") + frame(0x1 | 0x20, b"y"),
}

if __name__ == "__main__":
    for old in HERE.glob("*.bin"):
        old.unlink()
    for name, data in SEEDS.items():
        (HERE / f"{name}.bin").write_bytes(data)
    print(f"{len(SEEDS)} seeds written to {HERE}")
