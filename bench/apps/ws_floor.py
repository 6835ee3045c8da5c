"""The WebSocket floor: a bare uvloop protocol answering the handshake and echoing small frames.

Not a WebSocket server anyone would run (no checks, no fragments, no control frames): it shows
what the event loop and the kernel's ``read``/``write`` cost per round-trip, which every server
pays, so a framework's figure in ``bench/bench_websocket.py`` reads as "floor + framework".
Meant for the small ping-pong and bursts; its path for large messages (buffer copies) is not
tuned and is no floor for ``1mib``.

    .venv/bin/python bench/apps/ws_floor.py --port 8080 [--deferred]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
from pathlib import Path
from typing import Any

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aioweb.http.websocket import accept_key
from aioweb.http.websocket.mask import apply_mask


def _echoes(buf: bytes) -> tuple[list[bytes], bytes, int]:
    """The unmasked echoes of the whole masked frames at the start of ``buf``, the rest, and
    how long the rest must grow before the next frame is whole (at least)."""
    out = []
    need = 6
    while len(buf) >= 6:
        n = buf[1] & 0x7F
        pos = 2
        if n == 126:
            n, pos = int.from_bytes(buf[2:4], "big"), 4
        elif n == 127:
            n, pos = int.from_bytes(buf[2:10], "big"), 10
        end = pos + 4 + n
        if len(buf) < end:
            need = end
            break
        if n < 126:
            head = bytes((buf[0], n))
        elif n < 65536:
            head = bytes((buf[0], 126)) + n.to_bytes(2, "big")
        else:
            head = bytes((buf[0], 127)) + n.to_bytes(8, "big")
        out.append(head + apply_mask(buf[pos + 4 : end], buf[pos : pos + 4]))
        buf = buf[end:]
    return out, buf, need


class _FloorEcho(asyncio.Protocol):
    """Answers the handshake, then echoes every data frame (unmasked; one ``write`` per
    read). The read that is one small frame, the ping-pong's, takes a short path."""

    deferred = False

    def __init__(self) -> None:
        self.transport: Any = None
        self.head = b""
        self.buf = bytearray()
        self.need = 6

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.head is not None:
            self.head += data
            if b"\r\n\r\n" not in self.head:
                return
            key = re.search(rb"Sec-WebSocket-Key: *(\S+)", self.head, re.I)
            assert key is not None
            self.head = None  # type: ignore[assignment]
            self.transport.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
                + accept_key(key.group(1).decode()).encode()
                + b"\r\n\r\n"
            )
            return
        n = data[1] & 0x7F
        if n < 126 and len(data) == n + 6 and not self.buf:
            frame = bytes((data[0], n)) + apply_mask(data[6:], data[2:6])
        else:
            self.buf += data
            if len(self.buf) < self.need:
                return
            frames, rest, self.need = _echoes(bytes(self.buf))
            self.buf = bytearray(rest)
            if not frames:
                return
            frame = b"".join(frames)
        if self.deferred:
            asyncio.get_running_loop().call_soon(self.transport.write, frame)
        else:
            self.transport.write(frame)


class _FloorEchoDeferred(_FloorEcho):
    """The floor writing each echo at the loop's next turn (``call_soon``) instead of inside
    ``data_received``: all the reads of one poll first, then all the writes. It costs the
    process a callback per message, yet measured less CPU per round-trip than the floor
    itself (kernel time: the reads and the writes each in one run)."""

    deferred = True


def run_floor(port: int, *, deferred: bool = False) -> None:
    """Serve on 127.0.0.1:``port`` until interrupted."""
    protocol = _FloorEchoDeferred if deferred else _FloorEcho

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(protocol, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(main())


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--deferred", action="store_true", help="write at the loop's next turn")
    args = ap.parse_args()
    run_floor(args.port, deferred=args.deferred)
