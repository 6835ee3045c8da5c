"""Fragmented messages cost their payload in memory, not one object per fragment.

RFC 6455 §5.4 lets a sender split a message into any number of fragments, empty ones
included. ``max_msg_size`` bounds the payload, so a reader that kept a list of fragment
objects could be made to hold ~40 bytes per 1-byte fragment (a 4 MiB limit reached with
4 Mi fragments: ~170 MB for 28 MB on the wire) and 8 bytes per *empty* fragment, which no
size limit counts at all. The reader keeps one growing buffer instead.

Measured with tracemalloc (Python allocations, deterministic), not RSS.
"""

from __future__ import annotations

import tracemalloc

import pytest

from aioweb.http.websocket import FrameReader, WSMsgType
from aioweb.http.websocket.mask import apply_mask

KEY = b"\x11\x22\x33\x44"
FRAGMENTS = 30_000


def frame(op: int, payload: bytes, *, fin: bool) -> bytes:
    return bytes((op | (0x80 if fin else 0), 0x80 | len(payload))) + KEY + apply_mask(payload, KEY)


@pytest.mark.parametrize(
    ("op", "piece"),
    [(0x2, b"x"), (0x2, b""), (0x1, b"a"), (0x1, b"")],
    ids=["binary-1-byte", "binary-empty", "text-1-byte", "text-empty"],
)
def test_many_tiny_fragments_stay_bounded(op: int, piece: bytes) -> None:
    reader = FrameReader(max_msg_size=4 * 1024 * 1024)
    assert reader.feed(frame(op, piece, fin=False)) == []
    chunk = frame(0x0, piece, fin=False) * 1000
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(FRAGMENTS // 1000):
            assert reader.feed(chunk) == []
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    payload = len(piece) * FRAGMENTS
    # The payload itself plus a buffer's slack; a list of parts is 8-40 bytes per fragment.
    assert grown < 2 * payload + 64 * 1024, (grown, payload)
    (msg,) = reader.feed(frame(0x0, b"!", fin=True))
    expected = piece * (FRAGMENTS + 1) + b"!"
    if op == 0x1:
        assert msg.type is WSMsgType.TEXT and msg.data == expected.decode()
    else:
        assert msg.type is WSMsgType.BINARY and msg.data == expected


def test_one_byte_fragments_of_multibyte_text_reassemble() -> None:
    text = "h\u00e9llo \u4e2d\u6587 \U0001f600!"
    data = text.encode()
    stream = b"".join(
        frame(0x1 if i == 0 else 0x0, data[i : i + 1], fin=i == len(data) - 1)
        for i in range(len(data))
    )
    (msg,) = FrameReader().feed(stream)
    assert msg.type is WSMsgType.TEXT and msg.data == text


def test_invalid_utf8_fails_at_the_bad_fragment() -> None:
    reader = FrameReader()
    assert reader.feed(frame(0x1, b"ok", fin=False)) == []
    (msg,) = reader.feed(frame(0x0, b"\xff", fin=False))  # the message has not ended
    assert msg.type is WSMsgType.ERROR and msg.data.code == 1007
