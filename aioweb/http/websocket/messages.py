"""WebSocket vocabulary shared by the codec and the framework: opcodes, close codes, messages.

These names mirror aiohttp's so that user code comparing ``msg.type`` against
``WSMsgType.TEXT`` (or the old spelling ``msg.tp == MsgType.text``) runs unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import IntEnum
from typing import Any, NamedTuple

__all__ = [
    "MsgType",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "is_valid_close_code",
]


class WSCloseCode(IntEnum):
    """Close status codes registered by RFC 6455 section 7.4.1 and IANA."""

    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    #: Never sent on the wire: stands for "the close frame carried no code".
    NO_STATUS_RECEIVED = 1005
    #: Never sent on the wire: stands for "the connection dropped without a close frame".
    ABNORMAL_CLOSURE = 1006
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


class WSMsgType(IntEnum):
    """Kinds of message ``receive()`` returns: the wire opcodes plus three local states."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA
    # Local states, never seen on the wire.
    CLOSING = 0x100
    CLOSED = 0x101
    ERROR = 0x102

    # The lower-case spellings of aiohttp 0.x (``MsgType.text``) stay valid aliases.
    text = TEXT
    binary = BINARY
    ping = PING
    pong = PONG
    close = CLOSE
    closing = CLOSING
    closed = CLOSED
    error = ERROR


#: The pre-1.0 name of :class:`WSMsgType`.
MsgType = WSMsgType


class WSMessage(NamedTuple):
    """One received message: ``(type, data, extra)``.

    ``data`` is ``str`` for TEXT, ``bytes`` for BINARY/PING/PONG, the close code for
    CLOSE (``extra`` then holds the reason), and the exception for ERROR.
    """

    type: WSMsgType
    data: Any
    extra: str | None

    @property
    def tp(self) -> WSMsgType:
        """The pre-1.0 name of :attr:`type`."""
        return self.type

    def json(self, *, loads: Callable[[Any], Any] = json.loads) -> Any:
        """Decode :attr:`data` as JSON."""
        return loads(self.data)


class WebSocketError(Exception):
    """A protocol violation by the peer; ``code`` is the close code to answer with."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(code, message)

    def __str__(self) -> str:
        return str(self.args[1])


def is_valid_close_code(code: int) -> bool:
    """Whether ``code`` may appear in a close frame (RFC 6455 section 7.4).

    1000-1003 and 1007-1014 are defined; 1004 is reserved, 1005/1006/1015 must never be
    sent; 3000-3999 are registered by libraries and 4000-4999 are private use. Everything
    else (below 1000, 1016-2999, 5000 and up) is a protocol error.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999
