"""Bounded, reproducible fuzzing of the WebSocket frame reader (issue 11, item 8).

Inputs: the seeds in ``corpus/websocket/`` (masked and unmasked, fragmented, control frames,
permessage-deflate with and without context takeover, BFINAL, known-bad frames) mutated by
hypothesis; frames built field by field (any opcode, RSV bits, mask bit, 7/16/64-bit length,
payloads that may be deflated); and arbitrary bytes. Hypothesis is derandomized with no
example database, so every run tries the same examples.

The documented contract of ``FrameReader.feed``: it never raises; a violation ends the stream
with one ``WSMessage(ERROR, WebSocketError)`` whose ``code`` is 1002, 1007 or 1009, and after
that (or after a CLOSE) it returns nothing more. Asserted for every input:

* no exception from ``feed``, no hang (a per-example deadline and pytest's timeout);
* only TEXT (``str``), BINARY/PING/PONG (``bytes``), CLOSE and ERROR come out, within the
  limits (messages at most ``max_msg_size``, control payloads at most 125 bytes, close codes
  that may be sent) and nothing after the end;
* the result does not depend on how the bytes are split (whole, in random pieces, one byte
  at a time: this also pits the reader's one-frame fast path against its general parser);
* ``WebSocketSession.feed_data`` (with its own lone-small-frame fast path, compiled or not)
  queues exactly the messages the reader returns, on a real transport;
* a real server fed the seeds and their mutations over sockets logs no error and keeps
  serving.

The whole file runs in about 20 seconds.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import random
import socket
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioweb import web
from aioweb.framework.websocket_session import WebSocketSession, _unmask_text
from aioweb.http.websocket import (
    DeflateParams,
    FrameReader,
    PerMessageDeflate,
    WebSocketError,
    WSMessage,
    WSMsgType,
)
from aioweb.http.websocket.mask import apply_mask
from aioweb.http.websocket.messages import WSCloseCode, is_valid_close_code
from aioweb.http.websocket.options import WebSocketOptions

pytestmark = pytest.mark.timeout(120)

CORPUS_DIR = Path(__file__).parent / "corpus" / "websocket"
CORPUS = {p.stem: p.read_bytes() for p in sorted(CORPUS_DIR.glob("*.bin"))}
ERROR_CODES = {
    WSCloseCode.PROTOCOL_ERROR,
    WSCloseCode.INVALID_TEXT,
    WSCloseCode.MESSAGE_TOO_BIG,
}
TAIL = b"\x00\x00\xff\xff"

# (require_mask, deflate, max_msg_size): deflate is None, "takeover" or "nct" (the peer
# compresses without context takeover, so the reader resets its inflater per message).
Config = tuple[bool, str | None, int]
DEFLATE_KINDS = [None, "takeover", "nct"]
LIMITS = [4 * 1024 * 1024, 0, 64]


def deflate_for(kind: str | None) -> PerMessageDeflate | None:
    if kind is None:
        return None
    return PerMessageDeflate(DeflateParams(client_no_context_takeover=kind == "nct"))


def fuzz(max_examples: int) -> settings:
    """Reproducible and bounded: fixed examples, no database, a per-example deadline."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=timedelta(seconds=2),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ---------------------------------------------------------------------------- inputs

# Pieces a mutation may insert: frame headers of every kind, length encodings, mask keys,
# deflate tails and invalid UTF-8.
FRAGMENTS = [
    b"\x81\x85",  # masked TEXT, 5 bytes
    b"\x01\x82",  # unfinished TEXT
    b"\x80\x80",  # final continuation, empty
    b"\x89\x80",  # PING
    b"\x88\x82\x00\x00\x00\x00\x03\xe8",  # CLOSE 1000, zero key
    b"\xc1\x80",  # TEXT with RSV1
    b"\xfe",
    b"\x7e",
    b"\xff\x7f",
    b"\xfe\xff\xff",  # 16-bit length 65535
    b"\xff\xff\xff\xff\xff\xff\xff\xff",  # 64-bit length with the top bit set
    b"\x00\x00\x00\x01\x00\x00\x00\x00",
    TAIL,
    b"\xc3\x28",
    b"\xed\xa0\x80",  # a UTF-16 surrogate in UTF-8
    b"\x00",
]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A corpus seed and a few mutations of its bytes."""
    name = draw(st.sampled_from(sorted(CORPUS)))
    data = bytearray(CORPUS[name])
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["insert", "delete", "flip", "bit", "dup", "truncate"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=8)))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif op == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "bit" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "dup":
            end = min(len(data), at + draw(st.integers(1, 64)))
            data[end:end] = data[at:end] * draw(st.integers(1, 3))
        elif op == "truncate":
            del data[at:]
    return name, bytes(data)


@st.composite
def built_frames(draw: st.DrawFn) -> bytes:
    """A stream of frames whose every header field is drawn: opcodes 0-15, FIN, RSV1-3,
    the mask bit, a non-minimal length encoding, and payloads that may be (validly or
    not) deflated."""
    out = bytearray()
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.one_of(st.sampled_from([0, 1, 2, 8, 9, 10]), st.integers(0, 15)))
        fin = draw(st.booleans()) if op < 8 else draw(st.sampled_from([True, True, False]))
        rsv = draw(st.sampled_from([0, 0, 0x40, 0x40, 0x20, 0x10]))
        kind = draw(st.sampled_from(["text", "bytes", "deflated", "close"]))
        if kind == "text":
            payload = draw(st.text(max_size=40)).encode("utf-8", "surrogatepass")
        elif kind == "bytes":
            payload = draw(st.binary(max_size=200))
        elif kind == "deflated":
            raw = draw(st.binary(max_size=300)) + draw(st.text(max_size=40)).encode()
            comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            flush = draw(st.sampled_from([zlib.Z_SYNC_FLUSH, zlib.Z_FINISH, zlib.Z_FULL_FLUSH]))
            payload = comp.compress(raw) + comp.flush(flush)
            if draw(st.booleans()) and payload.endswith(TAIL):
                payload = payload[:-4]
        else:
            code = draw(
                st.one_of(st.sampled_from([1000, 1001, 1005, 1015, 3000]), st.integers(0, 65535))
            )
            payload = code.to_bytes(2, "big") + draw(st.binary(max_size=6))
        b0 = op | rsv | (0x80 if fin else 0)
        masked = draw(st.booleans())
        n = len(payload)
        encoding = draw(st.sampled_from(["min", "min", "16", "64"]))
        if encoding == "64" or n > 65535:
            head = bytes((b0, 127 | (0x80 if masked else 0))) + n.to_bytes(8, "big")
        elif encoding == "16" or n > 125:
            head = bytes((b0, 126 | (0x80 if masked else 0))) + n.to_bytes(2, "big")
        else:
            head = bytes((b0, n | (0x80 if masked else 0)))
        if masked:
            key = draw(st.binary(min_size=4, max_size=4))
            out += head + key + apply_mask(payload, key)
        else:
            out += head + payload
    return bytes(out)


@st.composite
def small_frame(draw: st.DrawFn) -> bytes:
    """One masked frame of 1-125 bytes with any first byte (FIN, RSV bits, opcode): the
    shape the session's fast path takes, and every near miss of it."""
    b0 = draw(
        st.one_of(
            st.sampled_from([0x81, 0x82, 0xC1, 0xC2, 0x91, 0xA2, 0x01, 0x80]), st.integers(0, 255)
        )
    )
    payload = draw(
        st.one_of(
            st.text(min_size=1, max_size=40).map(str.encode), st.binary(min_size=1, max_size=125)
        )
    )
    payload = payload[:125]
    key = draw(st.binary(min_size=4, max_size=4))
    return bytes((b0, 0x80 | len(payload))) + key + apply_mask(payload, key)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, last = [], 0
    for p in [*points, len(data)]:
        if p > last:
            out.append(data[last:p])
            last = p
    return out


# ---------------------------------------------------------------------------- oracles

Outcome = list[tuple[Any, ...]]


def check(msg: WSMessage, limit: int) -> tuple[Any, ...]:
    """Assert ``msg`` is one the reader may return; its comparable form."""
    kind, data, extra = msg
    if kind is WSMsgType.ERROR:
        assert type(data) is WebSocketError, repr(data)
        assert data.code in ERROR_CODES, data.code
        return ("error", data.code)
    if kind is WSMsgType.TEXT:
        assert type(data) is str
        assert not limit or len(data.encode("utf-8")) <= limit
    elif kind is WSMsgType.BINARY:
        assert type(data) is bytes
        assert not limit or len(data) <= limit
    elif kind in (WSMsgType.PING, WSMsgType.PONG):
        assert type(data) is bytes and len(data) <= 125
    else:
        assert kind is WSMsgType.CLOSE, kind
        assert data == WSCloseCode.NO_STATUS_RECEIVED or is_valid_close_code(data)
        assert type(extra) is str and len(extra.encode("utf-8")) <= 123
    return (int(kind), data, extra)


def run_reader(chunks: list[bytes], cfg: Config) -> Outcome:
    """Feed ``chunks`` to a fresh reader, checking each result; return what came out."""
    require_mask, kind, limit = cfg
    reader = FrameReader(max_msg_size=limit, deflate=deflate_for(kind), require_mask=require_mask)
    out: Outcome = []
    fed = 0
    for chunk in chunks:
        ended = reader.done
        msgs = reader.feed(chunk)  # the contract: never raises
        fed += len(chunk)
        if ended:
            assert msgs == [], "output after the end of the stream"
        for i, msg in enumerate(msgs):
            out.append(check(msg, limit))
            if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                assert i == len(msgs) - 1 and reader.done
        assert len(reader._buf) <= fed
    return out


def run_session(chunks: list[bytes], cfg: Config) -> Outcome:
    """What a server-side ``WebSocketSession`` queues for the same bytes, fed through
    ``feed_data`` on a real (socketpair) transport, with autoping off so that PING/PONG
    are queued too."""
    _, kind, limit = cfg
    loop = asyncio.new_event_loop()
    ours, theirs = socket.socketpair()
    try:
        transport, _ = loop.run_until_complete(loop.create_connection(asyncio.Protocol, sock=ours))
        ws = WebSocketSession(WebSocketOptions(max_msg_size=limit, autoping=False))
        ws._begin_session(loop, transport, None, deflate_for(kind))  # type: ignore[arg-type]
        for chunk in chunks:
            ws.feed_data(chunk)
        out = [check(msg, limit) for msg in ws._queue]
        transport.abort()
        loop.run_until_complete(asyncio.sleep(0))
        return out
    finally:
        loop.close()
        theirs.close()


CONFIGS = st.tuples(st.booleans(), st.sampled_from(DEFLATE_KINDS), st.sampled_from(LIMITS))


def config_for(name: str, flip: bool, kind: str | None, limit: int) -> Config:
    """The seed's natural configuration, or (``flip``) the other masking rule."""
    require_mask = "unmasked" not in name
    if "deflate" in name and kind is None:
        kind = "nct" if "nct" in name or "bfinal" in name else "takeover"
    return (require_mask != flip, kind, limit)


# ---------------------------------------------------------------------------- tests


@fuzz(1500)
@given(
    mutated(),
    st.lists(st.integers(0, 5000), max_size=10),
    st.sampled_from([False, False, False, True]),
    st.sampled_from(DEFLATE_KINDS),
    st.sampled_from(LIMITS),
)
def test_mutated_seeds(
    case: tuple[str, bytes], cuts: list[int], flip: bool, kind: str | None, limit: int
) -> None:
    name, data = case
    cfg = config_for(name, flip, kind, limit)
    whole = run_reader([data], cfg)
    assert run_reader(split(data, cuts), cfg) == whole
    assert run_reader([data[i : i + 1] for i in range(len(data))], cfg) == whole


@fuzz(1000)
@given(built_frames(), st.lists(st.integers(0, 5000), max_size=10), CONFIGS)
def test_built_frames(data: bytes, cuts: list[int], cfg: Config) -> None:
    whole = run_reader([data], cfg)
    assert run_reader(split(data, cuts), cfg) == whole
    assert run_reader([data[i : i + 1] for i in range(len(data))], cfg) == whole


@fuzz(800)
@given(st.binary(max_size=400), st.lists(st.integers(0, 500), max_size=6), CONFIGS)
def test_arbitrary_bytes(data: bytes, cuts: list[int], cfg: Config) -> None:
    whole = run_reader([data], cfg)
    assert run_reader(split(data, cuts), cfg) == whole


@fuzz(800)
@given(
    st.one_of(
        mutated(),
        built_frames().map(lambda d: ("built", d)),
        small_frame().map(lambda d: ("small", d)),
    ),
    st.lists(st.integers(0, 5000), max_size=6),
    st.sampled_from(DEFLATE_KINDS),
    st.sampled_from(LIMITS),
)
def test_session_queues_what_the_reader_returns(
    case: tuple[str, bytes], cuts: list[int], kind: str | None, limit: int
) -> None:
    """Chunks that are exactly one small frame take the session's own fast path; it must
    agree with the reader on every input (compiled: its C unmasking loop too)."""
    name, data = case
    cfg = config_for(name, False, kind, limit)
    if not cfg[0]:
        return  # a server session requires masked frames; the reader tests cover these
    # Frame-aligned chunks are what reach the fast path: cut at the frame boundaries the
    # reader sees, as well as at arbitrary points.
    frames = run_frames(data)
    for chunks in (frames, split(data, cuts)):
        assert run_session(chunks, cfg) == run_reader(chunks, cfg)


def run_frames(data: bytes) -> list[bytes]:
    """``data`` cut at the frame boundaries its headers announce (the rest in one piece)."""
    out, pos = [], 0
    while len(data) - pos >= 2:
        n = data[pos + 1] & 0x7F
        head = 2 + (2 if n == 126 else 8 if n == 127 else 0) + (4 if data[pos + 1] & 0x80 else 0)
        if len(data) - pos < head:
            break
        if n == 126:
            n = int.from_bytes(data[pos + 2 : pos + 4], "big")
        elif n == 127:
            n = int.from_bytes(data[pos + 2 : pos + 10], "big")
        if pos + head + n > len(data):
            break
        out.append(data[pos : pos + head + n])
        pos += head + n
    if pos < len(data):
        out.append(data[pos:])
    return out


@fuzz(300)
@given(st.binary(min_size=1, max_size=125), st.binary(min_size=4, max_size=4))
def test_unmask_text_matches_apply_mask(payload: bytes, key: bytes) -> None:
    """The session's UTF-8 unmasking routine (a C loop when compiled) against the codec's."""
    frame = bytes((0x81, 0x80 | len(payload))) + key + apply_mask(payload, key)
    try:
        expected: str | None = payload.decode("utf-8")
    except UnicodeDecodeError:
        expected = None
    assert _unmask_text(frame, len(payload)) == expected


# ---------------------------------------------------------------------------- real server


def server_cases() -> list[tuple[str, bytes]]:
    """Every masked seed as is, and 4 deterministic mutations of each."""
    rnd = random.Random(20261203)
    cases = []
    for name, seed in CORPUS.items():
        if "unmasked" in name:
            continue
        cases.append((name, seed))
        for _ in range(4):
            data = bytearray(seed)
            for _ in range(rnd.randint(1, 3)):
                at = rnd.randrange(len(data) + 1)
                op = rnd.randrange(4)
                if op == 0 and at < len(data):
                    data[at] ^= 1 << rnd.randrange(8)
                elif op == 1:
                    data[at:at] = rnd.choice(FRAGMENTS)
                elif op == 2:
                    del data[at : at + rnd.randint(1, 8)]
                else:
                    del data[at:]
            cases.append((name, bytes(data)))
    return cases


async def ws_exchange(port: int, data: bytes, extensions: str) -> bytes:
    """Handshake, send ``data``, half-close, return everything the server sends back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        ext = f"Sec-WebSocket-Extensions: {extensions}\r\n" if extensions else ""
        writer.write(
            (
                "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{ext}\r\n"
            ).encode()
            + data
        )
        writer.write_eof()
        async with asyncio.timeout(15):
            return await reader.read()
    finally:
        writer.close()


async def test_real_server_survives_seeds_and_mutations(aioweb_server, caplog) -> None:
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=4096)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == web.WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    server = await aioweb_server(app)
    cases = server_cases()
    with caplog.at_level(logging.WARNING):
        answers = await asyncio.gather(
            *(
                ws_exchange(server.port, data, "permessage-deflate" if "deflate" in name else "")
                for name, data in cases
            )
        )
        # Still serving: a clean exchange after all of them.
        text = b"still here"
        frame = bytes((0x81, 0x80 | len(text))) + b"\0\0\0\0" + text
        answer = await ws_exchange(server.port, frame, "")
    assert all(a.startswith(b"HTTP/1.1 101") for a in answers)
    assert b"\x81\x0astill here" in answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
