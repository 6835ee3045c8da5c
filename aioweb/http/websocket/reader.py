"""Incremental WebSocket frame parser (RFC 6455 section 5), sans-IO.

Feed it bytes as they arrive; it returns the complete messages and control frames found so
far. Fragmented messages are reassembled, control frames may arrive between fragments, and
every rule whose violation obliges the receiver to fail the connection (section 7.1.7) is
checked here. A violation ends the stream with one ``WSMessage(ERROR, WebSocketError)``
whose ``code`` is the close code to send: 1002 for framing errors, 1007 for invalid UTF-8,
1009 for a message over ``max_msg_size``. After an error or a close frame the reader
ignores whatever follows, as the RFC requires.
"""

from __future__ import annotations

import codecs

from aioweb.http.websocket.deflate import PerMessageDeflate
from aioweb.http.websocket.mask import apply_mask
from aioweb.http.websocket.messages import (
    WebSocketError,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    is_valid_close_code,
)

__all__ = ["FrameReader"]

_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_CLOSE = WSMsgType.CLOSE
_PING = WSMsgType.PING
_PONG = WSMsgType.PONG
_ERROR = WSMsgType.ERROR

# ``tuple.__new__`` builds a NamedTuple without the generated ``__new__``'s Python frame.
_new = tuple.__new__

_utf8_decoder = codecs.getincrementaldecoder("utf-8")

_OP_CONT = 0x0
_OP_TEXT = 0x1
_OP_BINARY = 0x2
_OP_CLOSE = 0x8
_OP_PING = 0x9
_OP_PONG = 0xA


class FrameReader:
    """Turns the byte stream from one peer into :class:`WSMessage` objects.

    ``require_mask`` is True on the server side: RFC 6455 section 5.1 makes a server close
    the connection on any unmasked client frame (and a client on any masked server frame,
    which ``require_mask=False`` enforces). ``max_msg_size`` bounds one whole message,
    fragments added up and after decompression; 0 disables the limit. The limit is checked
    from each frame's header, before its payload is buffered. ``decode_text=False`` gives
    TEXT messages as bytes; they are checked to be UTF-8 all the same (section 8.1 makes
    invalid text a reason to fail the connection whoever reads it).
    """

    __slots__ = (
        "_buf",
        "_deflate",
        "_done",
        "_frag_buf",
        "_frag_compressed",
        "_frag_op",
        "_frag_size",
        "_frag_text",
        "at_boundary",
        "decode_text",
        "max_msg_size",
        "require_mask",
    )

    def __init__(
        self,
        *,
        max_msg_size: int = 4 * 1024 * 1024,
        deflate: PerMessageDeflate | None = None,
        require_mask: bool = True,
        decode_text: bool = True,
    ) -> None:
        self.max_msg_size = max_msg_size
        self.decode_text = decode_text
        self.require_mask = require_mask
        self._deflate = deflate
        self._buf = bytearray()
        self._done = False
        # The fragmented message in progress: its opcode (0 when none), payload so far,
        # size. One bytearray, not a list of parts: a message sent as a million one-byte
        # (or empty) fragments must cost its payload in memory, not a million objects.
        self._frag_op = 0
        self._frag_compressed = False
        self._frag_buf = bytearray()
        self._frag_text: codecs.IncrementalDecoder | None = None
        self._frag_size = 0
        # True while no partial frame is buffered, no fragmented message is in progress and
        # the stream has not ended: the next byte starts a fresh message. The session reads
        # it to parse a lone small frame inline (see ``WebSocketSession.feed_data``).
        self.at_boundary = True

    @property
    def done(self) -> bool:
        """True once a close frame or a protocol error has ended the stream."""
        return self._done

    def feed(self, data: bytes | bytearray) -> list[WSMessage]:
        """Parse ``data`` (appended to any partial frame) and return what became complete."""
        if self._done:
            return []
        buf = self._buf
        if not buf and not self._frag_op:
            # Fast path, the common case: the chunk is exactly one small, masked,
            # unfragmented TEXT/BINARY frame without RSV bits. Anything else (or invalid
            # UTF-8, or a size over the limit) falls through to the general parser.
            n = len(data)
            if n > 5 and self.require_mask:
                b0 = data[0]
                length = data[1] - 0x80
                if (
                    (b0 == 0x81 or b0 == 0x82)
                    and 0 < length < 126
                    and n == length + 6
                    and (not self.max_msg_size or length <= self.max_msg_size)
                ):
                    payload = apply_mask(data[6:], bytes(data[2:6]))
                    if b0 == 0x82:
                        return [_new(WSMessage, (_BINARY, payload, ""))]
                    try:
                        text = payload.decode("utf-8")
                    except UnicodeDecodeError:
                        pass
                    else:
                        return [_new(WSMessage, (_TEXT, text if self.decode_text else payload, ""))]
        out: list[WSMessage] = []
        if buf:
            buf += data
            view: bytes | bytearray = buf
        else:
            view = data
        try:
            pos = self._parse(view, out)
        except WebSocketError as exc:
            self._fail(out, exc)
            return out
        if view is buf:
            del buf[:pos]
        elif pos < len(view):
            if pos:
                with memoryview(view) as rest:
                    buf += rest[pos:]  # no intermediate copy of a large tail
            else:
                buf += view
        self.at_boundary = not buf and not self._frag_op and not self._done
        return out

    def _fail(self, out: list[WSMessage], exc: WebSocketError) -> None:
        self._done = True
        self.at_boundary = False
        self._buf.clear()
        self._frag_buf = bytearray()
        out.append(WSMessage(_ERROR, exc, None))

    def _parse(self, buf: bytes | bytearray, out: list[WSMessage]) -> int:
        """Parse complete frames from ``buf``; return how many bytes were consumed.

        The usual frame (a whole TEXT/BINARY message, masked as this side requires, within
        the size limit, no fragmented message in progress) is handled inline; any other
        frame's header goes through :meth:`_check_header` and its payload through
        :meth:`_on_frame`.
        """
        pos = 0
        end = len(buf)
        limit = self.max_msg_size
        require_mask = self.require_mask
        while end - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            opcode = b0 & 0x0F
            length = b1 & 0x7F
            masked = b1 & 0x80
            head = pos + 2
            if length == 126:
                if end - head < 2:
                    break
                length = (buf[head] << 8) | buf[head + 1]
                head += 2
            elif length == 127:
                if end - head < 8:
                    break
                length = int.from_bytes(buf[head : head + 8], "big")
                head += 8
                if length >> 63:
                    raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, "Frame length has MSB set")

            # Header checks come before waiting for the payload, so an oversize or bogus
            # frame fails as soon as its header is in, without buffering its body.
            if (
                b0 & 0x70
                or not (b0 & 0x80 and _OP_TEXT <= opcode <= _OP_BINARY)
                or self._frag_op
                or (masked != 0) is not require_mask
                or (limit and length > limit)
            ):
                self._check_header(b0, opcode, length, masked)

            if masked:
                start = head + 4
                stop = start + length
                if stop > end:
                    break
                key = bytes(buf[head:start])
                if length < 4096:
                    payload = apply_mask(buf[start:stop], key) if length else b""
                else:
                    # Through a memoryview: slicing a large bytearray first copies it into
                    # freshly mapped memory, which costs 100x the XOR itself.
                    with memoryview(buf) as view:
                        payload = apply_mask(view[start:stop], key)
            else:
                stop = head + length
                if stop > end:
                    break
                if length < 4096:
                    payload = bytes(buf[head:stop])
                else:
                    with memoryview(buf) as view:
                        payload = bytes(view[head:stop])
            pos = stop

            if b0 & 0x80 and _OP_TEXT <= opcode <= _OP_BINARY:
                out.append(self._message(opcode, payload, bool(b0 & 0x40)))
            elif self._on_frame(b0, opcode, length, payload, out):
                self._done = True
                return end
        return pos

    def _check_header(self, b0: int, opcode: int, length: int, masked: int) -> None:
        """Every rule a frame header can break (RFC 6455 section 5.2 and 5.4, RFC 7692
        section 6.1), checked for any frame that is not a plain whole message: reserved
        bits, masking by the right side, known opcodes, control frames whole and at most
        125 bytes, fragments in order, and the message size limit (1009)."""
        if b0 & 0x70:
            self._check_rsv(b0, opcode)
        if masked:
            if not self.require_mask:
                raise WebSocketError(
                    WSCloseCode.PROTOCOL_ERROR, "Received a masked frame from the server"
                )
        elif self.require_mask:
            raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, "Received an unmasked frame")
        if opcode > 7:
            if opcode > _OP_PONG:
                raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, f"Unknown opcode {opcode:#x}")
            if not b0 & 0x80:
                raise WebSocketError(
                    WSCloseCode.PROTOCOL_ERROR, "Control frames must not be fragmented"
                )
            if length > 125:
                raise WebSocketError(
                    WSCloseCode.PROTOCOL_ERROR, "Control frame payload exceeds 125 bytes"
                )
            return
        if opcode > _OP_BINARY:
            raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, f"Unknown opcode {opcode:#x}")
        if opcode == _OP_CONT:
            if not self._frag_op:
                raise WebSocketError(
                    WSCloseCode.PROTOCOL_ERROR, "Continuation frame without a message"
                )
            size = self._frag_size + length
        else:
            if self._frag_op:
                raise WebSocketError(
                    WSCloseCode.PROTOCOL_ERROR,
                    "A new data frame arrived before the fragmented message ended",
                )
            size = length
        limit = self.max_msg_size
        if limit and size > limit:
            raise WebSocketError(
                WSCloseCode.MESSAGE_TOO_BIG,
                f"Message size {size} exceeds the limit of {limit} bytes",
            )

    def _on_frame(
        self, b0: int, opcode: int, length: int, payload: bytes, out: list[WSMessage]
    ) -> bool:
        """A frame other than a whole TEXT/BINARY message, its header already checked: a
        message's first or later fragment, a ping, a pong or a close.  Returns True on a
        close frame (the stream ends there)."""
        fin = b0 & 0x80
        if opcode in (_OP_TEXT, _OP_BINARY):  # the first fragment (not fin)
            self._frag_op = opcode
            self._frag_compressed = bool(b0 & 0x40)
            self._frag_size = length
            if opcode == _OP_TEXT and not self._frag_compressed:
                # Validate UTF-8 fragment by fragment, so invalid text fails
                # the connection at once rather than when the message ends.
                self._frag_text = _utf8_decoder()
                self._check_fragment(payload, False)
            self._frag_buf = bytearray(payload)
        elif opcode == _OP_CONT:
            self._frag_size += length
            if self._frag_text is not None:
                self._check_fragment(payload, bool(fin))
            self._frag_buf += payload
            if fin:
                whole = bytes(self._frag_buf)
                op = self._frag_op
                self._frag_op = 0
                self._frag_buf = bytearray()
                self._frag_size = 0
                if self._frag_text is not None:
                    self._frag_text = None
                    # Already validated piece by piece: this decode cannot fail.
                    data = whole.decode("utf-8") if self.decode_text else whole
                    out.append(_new(WSMessage, (_TEXT, data, "")))
                else:
                    out.append(self._message(op, whole, self._frag_compressed))
        elif opcode == _OP_PING:
            out.append(WSMessage(_PING, payload, ""))
        elif opcode == _OP_PONG:
            out.append(WSMessage(_PONG, payload, ""))
        else:
            out.append(self._close_message(payload))
            return True
        return False

    def _check_fragment(self, payload: bytes, final: bool) -> None:
        """Feed one fragment of a text message to the incremental UTF-8 validator."""
        try:
            self._frag_text.decode(payload, final)  # type: ignore[union-attr]
        except UnicodeDecodeError:
            raise WebSocketError(
                WSCloseCode.INVALID_TEXT, "Text message is not valid UTF-8"
            ) from None

    def _check_rsv(self, b0: int, opcode: int) -> None:
        """RSV1 means "compressed" only with permessage-deflate, only on a message's first
        frame (RFC 7692 section 6.1); RSV2/RSV3 have no negotiated meaning at all."""
        if b0 & 0x30:
            raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, "RSV2/RSV3 set without extension")
        if self._deflate is None:
            raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, "RSV1 set without extension")
        if opcode == _OP_CONT or opcode > 7:
            raise WebSocketError(
                WSCloseCode.PROTOCOL_ERROR, "RSV1 is only valid on a message's first frame"
            )

    def _message(self, opcode: int, payload: bytes, compressed: bool) -> WSMessage:
        if compressed:
            assert self._deflate is not None
            payload = self._deflate.decompress(payload, self.max_msg_size)
        if opcode == _OP_TEXT:
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError:
                raise WebSocketError(
                    WSCloseCode.INVALID_TEXT, "Text message is not valid UTF-8"
                ) from None
            return _new(WSMessage, (_TEXT, text if self.decode_text else payload, ""))
        return _new(WSMessage, (_BINARY, payload, ""))

    @staticmethod
    def _close_message(payload: bytes) -> WSMessage:
        """Section 5.5.1: an empty body, or a 2-byte code plus an optional UTF-8 reason."""
        if not payload:
            return WSMessage(_CLOSE, WSCloseCode.NO_STATUS_RECEIVED, "")
        if len(payload) == 1:
            raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, "Close frame body of one byte")
        code = (payload[0] << 8) | payload[1]
        if not is_valid_close_code(code):
            raise WebSocketError(WSCloseCode.PROTOCOL_ERROR, f"Invalid close code {code}")
        try:
            reason = payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise WebSocketError(
                WSCloseCode.INVALID_TEXT, "Close reason is not valid UTF-8"
            ) from None
        try:
            code = WSCloseCode(code)
        except ValueError:
            pass
        return WSMessage(_CLOSE, code, reason)
