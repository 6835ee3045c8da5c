"""Raw frames over a real socket: every protocol violation gets the right close code.

A hand-rolled client (plain ``socket``) does the handshake, sends exactly the bytes under
test, and reads what the server answers: a close frame with 1002, 1007 or 1009, then EOF.
The server must stay up and keep serving other connections afterwards.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from aioweb import web
from aioweb.http.websocket import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_TEXT,
    DeflateParams,
    FrameReader,
    PerMessageDeflate,
    WSMsgType,
    accept_key,
    encode_frame,
)

MAX = 64 * 1024


def frame(op: int, payload: bytes = b"", **kw: object) -> bytes:
    kw.setdefault("mask", True)
    return encode_frame(op, payload, **kw)  # type: ignore[arg-type]


@contextlib.contextmanager
def running_server(max_msg_size: int = MAX) -> Iterator[tuple[int, list[object]]]:
    """An echo server in a thread with its own loop; yields (port, handler outcomes)."""
    outcomes: list[object] = []

    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=max_msg_size, protocols=("chat",))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == web.WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
            elif msg.type == web.WSMsgType.ERROR:
                outcomes.append(("error", msg.data.code))
        outcomes.append(("closed", ws.close_code))
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    started = threading.Event()

    async def start() -> None:
        await runner.setup()
        await web.SockSite(runner, sock).start()
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield port, outcomes
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, list[object]]]:
    with running_server() as srv:
        yield srv


class RawClient:
    """A blocking WebSocket client that sends whatever bytes it is told to."""

    def __init__(self, port: int, extra_headers: str = "", early: bytes = b"") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\n{extra_headers}\r\n"
            ).encode()
            + early
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            assert chunk, head
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        self.head = head.decode()
        assert self.head.startswith("HTTP/1.1 101"), self.head
        assert f"Sec-WebSocket-Accept: {accept_key(key)}" in self.head
        deflate = None
        if "permessage-deflate" in self.head.lower():
            deflate = PerMessageDeflate(DeflateParams(), is_server=False)
        self.reader = FrameReader(require_mask=False, max_msg_size=0, deflate=deflate)
        self.pending = list(self.reader.feed(rest))

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def recv_msg(self) -> object:
        while not self.pending:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.pending += self.reader.feed(chunk)
        return self.pending.pop(0)

    def expect_close(self, code: int) -> None:
        msg = self.recv_msg()
        assert msg is not None and msg.type == WSMsgType.CLOSE, msg  # type: ignore[attr-defined]
        assert msg.data == code, msg  # type: ignore[attr-defined]
        # ...and then the server closes the TCP connection.
        self.sock.settimeout(5)
        assert self.sock.recv(1024) == b""
        self.sock.close()


BAD_FRAMES = [
    pytest.param(encode_frame(OP_TEXT, b"x"), 1002, id="unmasked"),
    pytest.param(frame(OP_TEXT, b"x", rsv=0x20), 1002, id="rsv2"),
    pytest.param(frame(OP_TEXT, b"x", rsv=0x10), 1002, id="rsv3"),
    pytest.param(frame(OP_TEXT, b"x", rsv1=True), 1002, id="rsv1-without-deflate"),
    pytest.param(frame(0x3, b"x"), 1002, id="reserved-opcode-3"),
    pytest.param(frame(0xB), 1002, id="reserved-opcode-B"),
    pytest.param(frame(OP_PING, b"x" * 126), 1002, id="ping-126-bytes"),
    pytest.param(frame(OP_PING, b"x", fin=False), 1002, id="fragmented-ping"),
    pytest.param(frame(OP_CONTINUATION, b"x"), 1002, id="orphan-continuation"),
    pytest.param(frame(OP_TEXT, b"a", fin=False) + frame(OP_BINARY, b"b"), 1002, id="interleave"),
    pytest.param(frame(OP_CLOSE, b"\x03"), 1002, id="close-1-byte"),
    pytest.param(frame(OP_CLOSE, struct.pack("!H", 1005)), 1002, id="close-code-1005"),
    pytest.param(frame(OP_CLOSE, struct.pack("!H", 999)), 1002, id="close-code-999"),
    pytest.param(frame(OP_CLOSE, struct.pack("!H", 2999)), 1002, id="close-code-2999"),
    pytest.param(b"\x82\xff\x80" + b"\0" * 7, 1002, id="length-msb"),
    pytest.param(
        frame(OP_TEXT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"),
        1007,
        id="bad-utf8",
    ),
    pytest.param(
        frame(OP_TEXT, b"\xce", fin=False) + frame(OP_CONTINUATION, b"\xce"),
        1007,
        id="bad-utf8-fragmented",
    ),
    pytest.param(frame(OP_CLOSE, b"\x03\xe8\xff\xfe"), 1007, id="bad-utf8-close-reason"),
    pytest.param(frame(OP_BINARY, b"x" * (MAX + 1)), 1009, id="too-big"),
    pytest.param(
        frame(OP_BINARY, b"x" * MAX, fin=False) + frame(OP_CONTINUATION, b"y"),
        1009,
        id="too-big-fragmented",
    ),
    # Only the header of a huge frame: the server must answer without waiting for the body.
    pytest.param(b"\x82\xff" + struct.pack("!Q", 1 << 40) + b"mask", 1009, id="huge-header"),
]


@pytest.mark.parametrize("data, code", BAD_FRAMES)
def test_protocol_error_gets_close_code(
    server: tuple[int, list[object]], data: bytes, code: int
) -> None:
    port, _ = server
    client = RawClient(port)
    client.send(frame(OP_TEXT, b"before"))
    assert client.recv_msg() == (WSMsgType.TEXT, "before", "")
    client.send(data)
    client.expect_close(code)
    # The server is still healthy.
    again = RawClient(port)
    again.send(frame(OP_TEXT, b"still here"))
    assert again.recv_msg() == (WSMsgType.TEXT, "still here", "")
    again.send(frame(OP_CLOSE, struct.pack("!H", 1000)))
    again.expect_close(1000)


@pytest.mark.parametrize("op", [OP_TEXT, OP_BINARY])
def test_small_limit_applies_to_single_small_frames(op: int) -> None:
    """A lone small frame is parsed on a fast path; a limit under 125 bytes still holds."""
    with running_server(max_msg_size=16) as (port, _):
        client = RawClient(port)
        client.send(frame(op, b"y" * 16))
        assert client.recv_msg()[1] in ("y" * 16, b"y" * 16)
        client.send(frame(op, b"y" * 17))
        client.expect_close(1009)


def test_handler_sees_error_then_closed() -> None:
    with running_server() as (port, outcomes):
        client = RawClient(port)
        client.send(frame(0x3))
        client.expect_close(1002)
        for _ in range(50):
            if len(outcomes) >= 2:
                break
            threading.Event().wait(0.05)
        assert outcomes == [("error", 1002), ("closed", 1002)]


def test_frames_sent_with_the_upgrade_request_are_not_lost(
    server: tuple[int, list[object]],
) -> None:
    client = RawClient(server[0], early=frame(OP_TEXT, b"early") + frame(OP_BINARY, b"bird"))
    assert client.recv_msg() == (WSMsgType.TEXT, "early", "")
    assert client.recv_msg() == (WSMsgType.BINARY, b"bird", "")
    client.send(frame(OP_CLOSE, struct.pack("!H", 1000)))
    client.expect_close(1000)


def test_fragmented_and_interleaved_ping(server: tuple[int, list[object]]) -> None:
    client = RawClient(server[0])
    client.send(frame(OP_TEXT, b"frag", fin=False))
    client.send(frame(OP_PING, b"p1"))
    client.send(frame(OP_CONTINUATION, b"men", fin=False))
    client.send(frame(OP_CONTINUATION, b"ted"))
    assert client.recv_msg() == (WSMsgType.PONG, b"p1", "")
    assert client.recv_msg() == (WSMsgType.TEXT, "fragmented", "")
    client.send(frame(OP_CLOSE, struct.pack("!H", 1000) + b"done"))
    client.expect_close(1000)


def test_bytes_trickled_one_at_a_time(server: tuple[int, list[object]]) -> None:
    client = RawClient(server[0])
    for byte in frame(OP_TEXT, "slow ünïcode".encode()):
        client.send(bytes([byte]))
    assert client.recv_msg() == (WSMsgType.TEXT, "slow ünïcode", "")
    client.send(frame(OP_CLOSE, b""))
    client.expect_close(1000)  # "no status" is answered with 1000


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1011, 3000, 4999])
def test_close_code_is_echoed(server: tuple[int, list[object]], code: int) -> None:
    client = RawClient(server[0])
    client.send(frame(OP_CLOSE, struct.pack("!H", code) + b"bye"))
    client.expect_close(code)


def test_compressed_frames_with_raw_client(server: tuple[int, list[object]]) -> None:
    client = RawClient(
        server[0],
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n",
    )
    assert "sec-websocket-extensions: permessage-deflate" in client.head.lower()
    pmd = PerMessageDeflate(DeflateParams(), is_server=False)
    text = "compress me " * 100
    client.send(frame(OP_TEXT, pmd.compress(text.encode()), rsv1=True))
    assert client.recv_msg() == (WSMsgType.TEXT, text, "")
    bomb = pmd.compress(b"\0" * (MAX * 20))
    client.send(frame(OP_BINARY, bomb, rsv1=True))
    client.expect_close(1009)


def test_subprotocol_header(server: tuple[int, list[object]]) -> None:
    client = RawClient(server[0], "Sec-WebSocket-Protocol: v2.chat, chat\r\n")
    assert "sec-websocket-protocol: chat" in client.head.lower()
    client.send(frame(OP_CLOSE, struct.pack("!H", 1000)))
    client.expect_close(1000)


def test_messages_before_a_violation_are_answered_first(server: tuple[int, list[object]]) -> None:
    """Autobahn 3.2-style: a good message and a bad frame in one packet. The handler still
    answers the good one, then the connection fails with 1002."""
    client = RawClient(server[0])
    client.send(frame(OP_TEXT, b"good") + frame(OP_TEXT, b"bad", rsv=0x20) + frame(OP_PING))
    assert client.recv_msg() == (WSMsgType.TEXT, "good", "")
    client.expect_close(1002)


def test_messages_before_the_peers_close_are_answered() -> None:
    """A message and a close frame in one packet: the handler answers the message (no
    "send on a closed WebSocket" error), then the close is echoed."""
    with running_server() as (port, outcomes):
        client = RawClient(port)
        client.send(frame(OP_TEXT, b"last words") + frame(OP_CLOSE, struct.pack("!H", 1001)))
        assert client.recv_msg() == (WSMsgType.TEXT, "last words", "")
        client.expect_close(1001)
        for _ in range(50):
            if outcomes:
                break
            threading.Event().wait(0.05)
        assert outcomes == [("closed", 1001)]


def test_http_1_0_upgrade_is_refused(server: tuple[int, list[object]]) -> None:
    sock = socket.create_connection(("127.0.0.1", server[0]), timeout=5)
    sock.sendall(
        b"GET /ws HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    answer = b""
    while chunk := sock.recv(4096):
        answer += chunk
    assert answer.startswith(b"HTTP/1.0 400"), answer[:100]
    sock.close()


def test_small_text_unmasking_agrees_with_the_masking_rule() -> None:
    """The fast path's unmasking (a C loop when compiled) for every length a lone small
    frame can have, against the plain big-integer XOR; not UTF-8 gives None."""
    from aioweb.framework.websocket_session import _unmask_text
    from aioweb.http.websocket.mask import apply_mask_python

    text = "ascii, é, 漢字 and 🎉 " * 8
    for length in range(1, 126):
        payload = text.encode()[:length]
        key = os.urandom(4)
        data = bytes((0x81, 0x80 | length)) + key + apply_mask_python(payload, key)
        try:
            expected: str | None = payload.decode("utf-8")
        except UnicodeDecodeError:  # cut in the middle of a character
            expected = None
        assert _unmask_text(data, length) == expected, length
        bad = payload[: length - 1] + b"\xff"
        data = bytes((0x81, 0x80 | length)) + key + apply_mask_python(bad, key)
        assert _unmask_text(data, length) is None, length
