"""The sans-IO WebSocket codec, fed bytes: round-trips, fragmentation, every error code."""

from __future__ import annotations

import base64
import os
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioweb.http.websocket import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    DeflateParams,
    FrameReader,
    FrameWriter,
    MsgType,
    PerMessageDeflate,
    WebSocketError,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    accept_key,
    apply_mask,
    apply_mask_python,
    check_request,
    choose_protocol,
    encode_frame,
    negotiate_deflate,
    parse_extensions,
)

CLIENT = FrameWriter(mask=True)


def error_code(msgs: list[WSMessage]) -> int:
    assert msgs, "expected an error message"
    last = msgs[-1]
    assert last.type is WSMsgType.ERROR, msgs
    assert isinstance(last.data, WebSocketError)
    return last.data.code


def frame(op: int, payload: bytes = b"", **kw: object) -> bytes:
    kw.setdefault("mask", True)
    return encode_frame(op, payload, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- masking


@given(st.binary(max_size=300), st.binary(min_size=4, max_size=4))
def test_mask_implementations_agree(data: bytes, key: bytes) -> None:
    expected = bytes(b ^ key[i % 4] for i, b in enumerate(data))
    assert apply_mask_python(data, key) == expected
    assert bytes(apply_mask(data, key)) == expected
    assert apply_mask_python(expected, key) == data


def test_mask_large_payload() -> None:
    data = os.urandom(1 << 20) + b"xyz"
    key = os.urandom(4)
    assert apply_mask_python(apply_mask_python(data, key), key) == data
    assert apply_mask(data, key) == apply_mask_python(data, key)


# ---------------------------------------------------------------- round trips


messages = st.one_of(
    st.tuples(st.just(OP_TEXT), st.text(max_size=2000)),
    st.tuples(st.just(OP_BINARY), st.binary(max_size=70000)),
)


def expected(op: int, data: str | bytes) -> tuple[WSMsgType, str | bytes]:
    return (WSMsgType.TEXT if op == OP_TEXT else WSMsgType.BINARY), data


def encode(op: int, data: str | bytes, writer: FrameWriter) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return writer.message(raw, op)


@settings(max_examples=60, deadline=None)
@given(st.lists(messages, max_size=6), st.data())
def test_round_trip_with_random_chunking(msgs: list[tuple[int, str | bytes]], data) -> None:
    stream = b"".join(encode(op, d, CLIENT) for op, d in msgs) + CLIENT.close(1000, "bye")
    # Cut the stream at arbitrary points: the parser must not care where reads end.
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    reader = FrameReader(max_msg_size=0)
    out: list[WSMessage] = []
    prev = 0
    for cut in [*cuts, len(stream)]:
        out += reader.feed(stream[prev:cut])
        prev = cut
    assert [(m.type, m.data) for m in out[:-1]] == [expected(op, d) for op, d in msgs]
    assert out[-1] == (WSMsgType.CLOSE, 1000, "bye")
    assert reader.done


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=5000), st.integers(2, 6), st.data())
def test_fragmented_message_reassembled(payload: bytes, parts: int, data) -> None:
    bounds = sorted(
        data.draw(st.lists(st.integers(0, len(payload)), min_size=parts - 1, max_size=parts - 1))
    )
    pieces = [payload[a:b] for a, b in zip([0, *bounds], [*bounds, len(payload)], strict=True)]
    stream = b""
    for i, piece in enumerate(pieces):
        op = OP_BINARY if i == 0 else OP_CONTINUATION
        stream += frame(op, piece, fin=i == len(pieces) - 1)
        if i == 0:
            stream += frame(OP_PING, b"mid")  # control frames may interleave
    out = FrameReader().feed(stream)
    assert out[0] == (WSMsgType.PING, b"mid", "")
    assert out[1] == (WSMsgType.BINARY, payload, "")


def test_fragmented_text_split_inside_a_code_point() -> None:
    raw = "€uro".encode()
    out = FrameReader().feed(frame(OP_TEXT, raw[:1], fin=False) + frame(OP_CONTINUATION, raw[1:]))
    assert out == [(WSMsgType.TEXT, "€uro", "")]


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 1 << 20])
def test_length_encodings(size: int) -> None:
    payload = os.urandom(size)
    raw = frame(OP_BINARY, payload)
    header_len = 2 + (0 if size < 126 else 2 if size < 65536 else 8) + 4
    assert len(raw) == header_len + size
    assert FrameReader(max_msg_size=0).feed(raw) == [(WSMsgType.BINARY, payload, "")]


def test_server_frames_are_unmasked_and_client_reader_accepts_them() -> None:
    raw = FrameWriter().message(b"hi", OP_TEXT)
    assert raw == b"\x81\x02hi"
    assert FrameReader(require_mask=False).feed(raw) == [(WSMsgType.TEXT, "hi", "")]


def test_ping_pong_and_empty_close() -> None:
    out = FrameReader().feed(CLIENT.ping(b"a") + CLIENT.pong(b"b") + frame(OP_CLOSE))
    assert out == [
        (WSMsgType.PING, b"a", ""),
        (WSMsgType.PONG, b"b", ""),
        (WSMsgType.CLOSE, WSCloseCode.NO_STATUS_RECEIVED, ""),
    ]


def test_nothing_is_parsed_after_close() -> None:
    reader = FrameReader()
    out = reader.feed(CLIENT.close(1001) + frame(OP_TEXT, b"late"))
    assert out == [(WSMsgType.CLOSE, 1001, "")]
    assert reader.feed(frame(OP_TEXT, b"later")) == []


def test_old_names() -> None:
    msg = WSMessage(WSMsgType.TEXT, '{"a": 1}', "")
    assert msg.tp is MsgType.text is WSMsgType.TEXT
    assert msg.json() == {"a": 1}
    assert MsgType.close == WSMsgType.CLOSE and MsgType.error == WSMsgType.ERROR


# ---------------------------------------------------------------- protocol errors (1002)


@pytest.mark.parametrize(
    "raw, why",
    [
        (encode_frame(OP_TEXT, b"x"), "unmasked client frame"),
        (frame(OP_TEXT, b"x", rsv=0x20), "RSV2 without extension"),
        (frame(OP_TEXT, b"x", rsv=0x10), "RSV3 without extension"),
        (frame(OP_TEXT, b"x", rsv1=True), "RSV1 without permessage-deflate"),
        (frame(0x3, b"x"), "reserved data opcode"),
        (frame(0xB, b"x"), "reserved control opcode"),
        (frame(OP_PING, b"x" * 126), "control frame over 125 bytes"),
        (frame(OP_PING, b"x", fin=False), "fragmented control frame"),
        (frame(OP_CONTINUATION, b"x"), "continuation without a message"),
        (frame(OP_TEXT, b"a", fin=False) + frame(OP_TEXT, b"b"), "new message mid-fragment"),
        (frame(OP_CLOSE, b"\x03"), "one-byte close body"),
        (frame(OP_CLOSE, struct.pack("!H", 999)), "close code below 1000"),
        (frame(OP_CLOSE, struct.pack("!H", 1004)), "reserved close code 1004"),
        (frame(OP_CLOSE, struct.pack("!H", 1005)), "close code 1005 on the wire"),
        (frame(OP_CLOSE, struct.pack("!H", 1006)), "close code 1006 on the wire"),
        (frame(OP_CLOSE, struct.pack("!H", 1015)), "close code 1015 on the wire"),
        (frame(OP_CLOSE, struct.pack("!H", 2000)), "unassigned close code"),
        (frame(OP_CLOSE, struct.pack("!H", 5000)), "close code above 4999"),
        (b"\x82\xff" + b"\x80" + b"\x00" * 7, "64-bit length with the MSB set"),
    ],
)
def test_protocol_errors_close_with_1002(raw: bytes, why: str) -> None:
    reader = FrameReader()
    assert error_code(reader.feed(raw)) == WSCloseCode.PROTOCOL_ERROR, why
    assert reader.done
    assert reader.feed(frame(OP_TEXT, b"ignored")) == []


def test_masked_frame_from_server_is_rejected_by_client_reader() -> None:
    assert error_code(FrameReader(require_mask=False).feed(frame(OP_TEXT, b"x"))) == 1002


def test_rsv1_on_continuation_and_control_frames() -> None:
    pmd = PerMessageDeflate(DeflateParams())
    reader = FrameReader(deflate=pmd)
    assert error_code(reader.feed(frame(OP_PING, b"", rsv1=True))) == 1002
    reader = FrameReader(deflate=pmd)
    bad = frame(OP_BINARY, b"a", fin=False) + frame(OP_CONTINUATION, b"b", rsv1=True)
    assert error_code(reader.feed(bad)) == 1002


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999])
def test_valid_close_codes(code: int) -> None:
    assert FrameReader().feed(CLIENT.close(code, "ok")) == [(WSMsgType.CLOSE, code, "ok")]


def test_messages_before_an_error_are_kept() -> None:
    out = FrameReader().feed(frame(OP_TEXT, b"fine") + frame(0x3))
    assert out[0] == (WSMsgType.TEXT, "fine", "")
    assert error_code(out) == 1002


# ---------------------------------------------------------------- UTF-8 (1007)


@pytest.mark.parametrize(
    "raw",
    [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"ok\xc0\xafok"],
)
def test_invalid_utf8_text_is_1007(raw: bytes) -> None:
    assert error_code(FrameReader().feed(frame(OP_TEXT, raw))) == WSCloseCode.INVALID_TEXT


def test_invalid_utf8_across_fragments_is_1007() -> None:
    raw = frame(OP_TEXT, b"\xce", fin=False) + frame(OP_CONTINUATION, b"\xce")
    assert error_code(FrameReader().feed(raw)) == 1007


def test_invalid_utf8_fails_at_the_first_bad_fragment() -> None:
    reader = FrameReader()
    assert reader.feed(frame(OP_TEXT, "ok €".encode()[:-1], fin=False)) == []  # incomplete: fine
    assert error_code(reader.feed(frame(OP_CONTINUATION, b"\xff", fin=False))) == 1007


def test_truncated_code_point_at_message_end_is_1007() -> None:
    raw = frame(OP_TEXT, b"ok", fin=False) + frame(OP_CONTINUATION, "€".encode()[:2])
    assert error_code(FrameReader().feed(raw)) == 1007


def test_invalid_utf8_close_reason_is_1007() -> None:
    assert error_code(FrameReader().feed(frame(OP_CLOSE, b"\x03\xe8\xff"))) == 1007


# ---------------------------------------------------------------- size limit (1009)


def test_oversize_frame_fails_from_its_header_alone() -> None:
    reader = FrameReader(max_msg_size=1000)
    header = b"\x82\xfe" + struct.pack("!H", 1001)  # masked binary, 1001 bytes announced
    assert error_code(reader.feed(header)) == WSCloseCode.MESSAGE_TOO_BIG
    huge = b"\x82\xff" + struct.pack("!Q", 1 << 40)
    assert error_code(FrameReader(max_msg_size=1000).feed(huge)) == 1009


def test_oversize_across_fragments() -> None:
    reader = FrameReader(max_msg_size=10)
    out = reader.feed(frame(OP_BINARY, b"x" * 6, fin=False))
    assert out == []
    assert error_code(reader.feed(frame(OP_CONTINUATION, b"y" * 5))) == 1009


def test_single_small_frame_over_the_limit() -> None:
    # The one-frame fast path must apply the limit too.
    assert error_code(FrameReader(max_msg_size=5).feed(frame(OP_TEXT, b"123456"))) == 1009
    assert error_code(FrameReader(max_msg_size=5).feed(frame(OP_BINARY, b"123456"))) == 1009


def test_exact_limit_is_allowed() -> None:
    out = FrameReader(max_msg_size=10).feed(frame(OP_BINARY, b"x" * 10))
    assert out == [(WSMsgType.BINARY, b"x" * 10, "")]


def test_zero_disables_the_limit() -> None:
    out = FrameReader(max_msg_size=0).feed(frame(OP_BINARY, b"x" * 100_000))
    assert out[0].data == b"x" * 100_000


# ---------------------------------------------------------------- permessage-deflate


def deflate_pair(params: DeflateParams) -> tuple[FrameWriter, FrameReader]:
    client = FrameWriter(deflate=PerMessageDeflate(params, is_server=False), mask=True)
    server = FrameReader(deflate=PerMessageDeflate(params), max_msg_size=1 << 20)
    return client, server


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.binary(max_size=3000), min_size=1, max_size=5),
    st.booleans(),
    st.booleans(),
    st.integers(9, 15),
)
def test_deflate_round_trip(payloads: list[bytes], s_nct: bool, c_nct: bool, bits: int) -> None:
    params = DeflateParams(
        server_max_window_bits=bits,
        client_max_window_bits=bits,
        server_no_context_takeover=s_nct,
        client_no_context_takeover=c_nct,
    )
    client, server = deflate_pair(params)
    stream = b"".join(client.message(p) for p in payloads)
    assert [m.data for m in server.feed(stream)] == payloads
    # And the other way: the server compresses, a client-side reader inflates.
    s_writer = FrameWriter(deflate=PerMessageDeflate(params))
    c_reader = FrameReader(deflate=PerMessageDeflate(params, is_server=False), require_mask=False)
    assert [m.data for m in c_reader.feed(b"".join(s_writer.message(p) for p in payloads))] == (
        payloads
    )


def test_deflate_context_takeover_shrinks_repeats() -> None:
    pmd = PerMessageDeflate(DeflateParams())
    first = pmd.compress(b"hello hello hello world" * 4)
    second = pmd.compress(b"hello hello hello world" * 4)
    assert len(second) < len(first)
    fresh = PerMessageDeflate(DeflateParams(server_no_context_takeover=True))
    assert len(fresh.compress(b"abc" * 50)) == len(fresh.compress(b"abc" * 50))


def test_deflated_fragmented_message() -> None:
    pmd_client = PerMessageDeflate(DeflateParams(), is_server=False)
    body = pmd_client.compress("fragmented ünïcode ".encode() * 20)
    raw = frame(OP_TEXT, body[:5], fin=False, rsv1=True) + frame(OP_CONTINUATION, body[5:])
    out = FrameReader(deflate=PerMessageDeflate(DeflateParams())).feed(raw)
    assert out == [(WSMsgType.TEXT, "fragmented ünïcode " * 20, "")]


def test_decompression_bomb_is_1009() -> None:
    client = PerMessageDeflate(DeflateParams(), is_server=False)
    bomb = client.compress(b"\0" * (10 << 20))
    assert len(bomb) < 20_000
    reader = FrameReader(deflate=PerMessageDeflate(DeflateParams()), max_msg_size=1 << 20)
    assert error_code(reader.feed(frame(OP_BINARY, bomb, rsv1=True))) == 1009


def test_corrupt_deflate_stream_is_1002() -> None:
    reader = FrameReader(deflate=PerMessageDeflate(DeflateParams()))
    assert error_code(reader.feed(frame(OP_BINARY, b"\xff\xff\xff\xff", rsv1=True))) == 1002


def test_zlib_reference_inflates_our_output() -> None:
    data = os.urandom(100) * 50
    out = PerMessageDeflate(DeflateParams()).compress(data)
    assert zlib.decompressobj(-15).decompress(out + b"\x00\x00\xff\xff") == data


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, None),
        ("x-webkit-deflate-frame", None),
        ("permessage-deflate", DeflateParams()),
        (
            "permessage-deflate; client_max_window_bits",
            DeflateParams(),
        ),
        (
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12",
            DeflateParams(server_max_window_bits=10, client_max_window_bits=12),
        ),
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            DeflateParams(server_no_context_takeover=True, client_no_context_takeover=True),
        ),
        ('permessage-deflate; server_max_window_bits="11"', DeflateParams(11)),
        # Invalid offers are declined; a later valid one is taken.
        ("permessage-deflate; server_max_window_bits=16", None),
        ("permessage-deflate; server_max_window_bits", None),
        ("permessage-deflate; server_max_window_bits=8", None),
        ("permessage-deflate; client_max_window_bits=7", None),
        ("permessage-deflate; foo=1", None),
        ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", None),
        ("permessage-deflate; server_no_context_takeover=1", None),
        (
            "permessage-deflate; foo, permessage-deflate; server_max_window_bits=12",
            DeflateParams(server_max_window_bits=12),
        ),
    ],
)
def test_negotiate_deflate(header: str | None, expected: DeflateParams | None) -> None:
    assert negotiate_deflate(header) == expected


def test_negotiate_applies_server_settings() -> None:
    params = negotiate_deflate(
        "permessage-deflate", server_max_window_bits=10, no_context_takeover=True
    )
    assert params == DeflateParams(server_max_window_bits=10, server_no_context_takeover=True)
    assert params.response_header() == (
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10"
    )
    assert DeflateParams().response_header() == "permessage-deflate"


def test_parse_extensions_quotes_and_case() -> None:
    assert parse_extensions('Foo; A="x,y"; b, bar') == [
        ("foo", [("a", "x,y"), ("b", None)]),
        ("bar", []),
    ]


# ---------------------------------------------------------------- handshake


KEY = base64.b64encode(b"0123456789abcdef").decode()
GOOD = {
    "Upgrade": "websocket",
    "Connection": "keep-alive, Upgrade",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": KEY,
}


class CI(dict):  # a tiny case-insensitive mapping standing in for CIMultiDictProxy
    def __init__(self, data: dict[str, str]) -> None:
        super().__init__({k.lower(): v for k, v in data.items()})

    def get(self, key: str, default: str = "") -> str:  # type: ignore[override]
        return super().get(key.lower(), default)


def test_rfc_sample_accept_key() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_valid_handshake() -> None:
    assert check_request("GET", CI(GOOD)) is None
    assert check_request("GET", CI({**GOOD, "Upgrade": "WebSocket"})) is None


@pytest.mark.parametrize(
    "method, change, status",
    [
        ("POST", {}, 405),
        ("GET", {"Upgrade": None}, 400),
        ("GET", {"Upgrade": "h2c"}, 400),
        ("GET", {"Connection": "keep-alive"}, 400),
        ("GET", {"Connection": None}, 400),
        ("GET", {"Sec-WebSocket-Version": "8"}, 426),
        ("GET", {"Sec-WebSocket-Version": None}, 426),
        ("GET", {"Sec-WebSocket-Key": None}, 400),
        ("GET", {"Sec-WebSocket-Key": "short"}, 400),
        ("GET", {"Sec-WebSocket-Key": base64.b64encode(b"x" * 15).decode()}, 400),
        ("GET", {"Sec-WebSocket-Key": "!!!!!!!!!!!!!!!!!!!!!!!="}, 400),
    ],
)
def test_invalid_handshakes(method: str, change: dict[str, str | None], status: int) -> None:
    headers = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    err = check_request(method, CI(headers))
    assert err is not None and err.status == status
    if status == 426:
        assert err.headers == {"Sec-WebSocket-Version": "13"}


def test_choose_protocol_follows_client_order() -> None:
    assert choose_protocol("chat, superchat", ["superchat", "chat"]) == "chat"
    assert choose_protocol("a, b", ["b"]) == "b"
    assert choose_protocol("a", ["b"]) is None
    assert choose_protocol(None, ["b"]) is None
    assert choose_protocol("a", []) is None


# ---------------------------------------------------------------- writer


def test_writer_close_validation() -> None:
    w = FrameWriter()
    assert w.close(1000, "bye") == b"\x88\x05\x03\xe8bye"
    assert w.close(None) == b"\x88\x00"
    with pytest.raises(ValueError):
        w.close(1006)
    with pytest.raises(ValueError):
        w.close(1000, "x" * 124)
    with pytest.raises(ValueError):
        w.ping(b"x" * 126)
    assert w.pong(b"p") == b"\x8a\x01p"
    assert FrameReader(require_mask=False).feed(w.ping("é")) == [(WSMsgType.PING, "é".encode(), "")]


def test_compress_min_skips_small_messages() -> None:
    w = FrameWriter(deflate=PerMessageDeflate(DeflateParams()), compress_min=10)
    assert w.message(b"tiny", OP_TEXT) == b"\x81\x04tiny"
    assert w.message(b"a" * 100, OP_TEXT)[0] == 0xC1  # FIN + RSV1 + TEXT
    assert w.message(b"a" * 100, OP_TEXT, compress=False)[0] == 0x81


def test_empty_compressed_message() -> None:
    client, server = deflate_pair(DeflateParams())
    assert server.feed(client.message(b"", OP_TEXT)) == [(WSMsgType.TEXT, "", "")]


def test_pong_opcode_constant() -> None:
    assert OP_PONG == 0xA and WSMsgType.PONG == OP_PONG


@pytest.mark.parametrize("size", [0, 100, 70_000, 300_000])
@pytest.mark.parametrize("deflate", [False, True])
@pytest.mark.parametrize("mask", [False, True])
def test_message_parts_equal_one_frame(size: int, deflate: bool, mask: bool) -> None:
    payload = os.urandom(size // 2) * 2
    pmd = PerMessageDeflate(DeflateParams(), is_server=not mask) if deflate else None
    header, body = FrameWriter(deflate=pmd, mask=mask).message_parts(payload, OP_BINARY)
    if not mask and not deflate:
        assert header + body == FrameWriter().message(payload, OP_BINARY)
    reader_pmd = PerMessageDeflate(DeflateParams(), is_server=mask) if deflate else None
    reader = FrameReader(require_mask=mask, deflate=reader_pmd, max_msg_size=0)
    assert reader.feed(header + body) == [(WSMsgType.BINARY, payload, "")]
