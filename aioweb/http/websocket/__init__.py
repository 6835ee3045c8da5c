"""The WebSocket wire codec (RFC 6455, RFC 7692), sans-IO: the public face of its submodules.

* :class:`FrameReader` turns received bytes into :class:`WSMessage` objects and enforces
  the protocol (masking, RSV bits, control-frame rules, fragmentation order, UTF-8, size).
* :class:`FrameWriter` / :func:`encode_frame` turn messages into frames.
* :func:`negotiate_deflate` / :class:`PerMessageDeflate` do permessage-deflate.
* :func:`check_request`, :func:`accept_key`, :func:`choose_protocol` do the handshake.

Nothing here touches sockets or the event loop; ``aioweb.framework.websocket`` does.
"""

from __future__ import annotations

from aioweb.http.websocket.deflate import (
    DeflateParams,
    PerMessageDeflate,
    negotiate_deflate,
    parse_extensions,
)
from aioweb.http.websocket.handshake import (
    WS_GUID,
    HandshakeError,
    accept_key,
    check_request,
    choose_protocol,
)
from aioweb.http.websocket.mask import apply_mask, apply_mask_python
from aioweb.http.websocket.messages import (
    MsgType,
    WebSocketError,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    is_valid_close_code,
)
from aioweb.http.websocket.reader import FrameReader
from aioweb.http.websocket.writer import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FrameWriter,
    encode_frame,
)

__all__ = [
    "OP_BINARY",
    "OP_CLOSE",
    "OP_CONTINUATION",
    "OP_PING",
    "OP_PONG",
    "OP_TEXT",
    "WS_GUID",
    "DeflateParams",
    "FrameReader",
    "FrameWriter",
    "HandshakeError",
    "MsgType",
    "PerMessageDeflate",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "accept_key",
    "apply_mask",
    "apply_mask_python",
    "check_request",
    "choose_protocol",
    "encode_frame",
    "is_valid_close_code",
    "negotiate_deflate",
    "parse_extensions",
]
