"""WebSocket frame encoding (RFC 6455 section 5.2), sans-IO.

A server sends unmasked frames; ``mask=True`` (the client side, used by tests and by any
future client) masks each frame with a fresh random key as section 5.3 requires. Messages
are sent as single frames: fragmenting would only add headers, since the whole payload is
already in memory.
"""

from __future__ import annotations

import os
import struct

from aioweb.http.websocket.deflate import PerMessageDeflate
from aioweb.http.websocket.mask import apply_mask
from aioweb.http.websocket.messages import WSCloseCode, is_valid_close_code

__all__ = ["FrameWriter", "encode_frame", "sendable_close"]

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

_pack_16 = struct.Struct("!BBH").pack
_pack_64 = struct.Struct("!BBQ").pack


def encode_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    rsv1: bool = False,
    mask: bool = False,
    rsv: int = 0,
) -> bytes:
    """One frame as bytes. ``rsv`` sets raw RSV bits (0x70 mask) and exists for tests."""
    b0 = opcode | rsv
    if fin:
        b0 |= 0x80
    if rsv1:
        b0 |= 0x40
    header, body = _frame_parts(b0, payload, mask)
    return header + body


def _frame_parts(b0: int, payload: bytes, mask: bool) -> tuple[bytes, bytes]:
    """A frame as ``(header, body)``: the header ends with the masking key when ``mask``,
    and the body is the payload as sent (masked with that key, or the payload itself)."""
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        header = bytes((b0, n | mbit))
    elif n < 65536:
        header = _pack_16(b0, 126 | mbit, n)
    else:
        header = _pack_64(b0, 127 | mbit, n)
    if mask:
        key = os.urandom(4)
        return header + key, apply_mask(payload, key)
    return header, payload


class FrameWriter:
    """Encodes outgoing messages for one connection, compressing when negotiated.

    ``compress_min`` skips compression for payloads shorter than it: RFC 7692 lets each
    message choose (RSV1 per message), and deflating a few bytes only makes them longer.
    """

    __slots__ = ("_deflate", "compress_min", "mask")

    def __init__(
        self,
        *,
        deflate: PerMessageDeflate | None = None,
        mask: bool = False,
        compress_min: int = 0,
    ) -> None:
        self._deflate = deflate
        self.mask = mask
        self.compress_min = compress_min

    @property
    def deflate(self) -> PerMessageDeflate | None:
        return self._deflate

    def message(self, payload: bytes, opcode: int = OP_BINARY, *, compress: bool = True) -> bytes:
        """A complete data message (TEXT or BINARY) as one frame."""
        deflate = self._deflate
        if deflate is not None and compress and len(payload) >= self.compress_min:
            return encode_frame(opcode, deflate.compress(payload), rsv1=True, mask=self.mask)
        if not self.mask:
            # Inline fast path for the common case: a small unmasked frame.
            n = len(payload)
            if n < 126:
                return bytes((0x80 | opcode, n)) + payload
        return encode_frame(opcode, payload, mask=self.mask)

    def message_parts(
        self, payload: bytes, opcode: int = OP_BINARY, *, compress: bool = True
    ) -> tuple[bytes, bytes]:
        """A large message as ``(header, body)``, for ``transport.writelines``: the body is
        not copied behind the header (1 MiB copied per message adds up)."""
        deflate = self._deflate
        rsv1 = False
        if deflate is not None and compress and len(payload) >= self.compress_min:
            payload = deflate.compress(payload)
            rsv1 = True
        return _frame_parts(0xC0 | opcode if rsv1 else 0x80 | opcode, payload, self.mask)

    def ping(self, payload: bytes = b"") -> bytes:
        return encode_frame(OP_PING, _control_payload(payload), mask=self.mask)

    def pong(self, payload: bytes = b"") -> bytes:
        return encode_frame(OP_PONG, _control_payload(payload), mask=self.mask)

    def close(self, code: int | None = WSCloseCode.OK, reason: bytes | str = b"") -> bytes:
        """A close frame; ``code=None`` sends an empty body (no status)."""
        if code is None:
            return encode_frame(OP_CLOSE, b"", mask=self.mask)
        if not is_valid_close_code(code):
            raise ValueError(f"{code} is not a close code that may be sent")
        if isinstance(reason, str):
            reason = reason.encode("utf-8")
        body = code.to_bytes(2, "big") + reason
        if len(body) > 125:
            raise ValueError("Close reason longer than 123 bytes")
        return encode_frame(OP_CLOSE, body, mask=self.mask)


def _control_payload(payload: bytes | str) -> bytes:
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    if len(payload) > 125:
        raise ValueError("Control frame payload longer than 125 bytes")
    return payload


def sendable_close(code: int, reason: bytes | str) -> tuple[int, bytes, str | None]:
    """An application's close code and reason as they may go on the wire, and what was wrong.

    ``ws.close(code=999)`` (an old aiohttp example does this in ``on_shutdown``) must still
    close the connection: raising there would leave the socket open and stop the caller's
    loop over its other sockets. aiohttp puts such a code on the wire, where the peer fails
    the connection with a protocol error (RFC 6455 section 7.4); here it becomes 1011 (the
    server met an unexpected condition), and a reason over the 123 bytes a control frame
    leaves is cut at a character boundary. The third item says what was changed (None: all
    was well), for the caller to log.
    """
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    problem = None
    if not isinstance(code, int) or not is_valid_close_code(code):
        problem = f"close code {code!r} may not be sent (RFC 6455 section 7.4); sent 1011"
        code = WSCloseCode.INTERNAL_ERROR
    if len(reason) > 123:
        reason = reason[:123].decode("utf-8", "ignore").encode("utf-8")
        problem = (problem + "; " if problem else "") + "close reason cut to 123 bytes"
    return code, reason, problem
