"""The server side of the WebSocket opening handshake (RFC 6455 section 4.2), sans-IO.

The request must be a GET carrying ``Upgrade: websocket``, a ``Connection`` header that
lists ``upgrade``, ``Sec-WebSocket-Version: 13`` and a ``Sec-WebSocket-Key`` that is the
base64 encoding of 16 bytes. A wrong version gets 426 with ``Sec-WebSocket-Version: 13``
(section 4.4) so the client can retry; anything else malformed gets 400, and a method other
than GET gets 405 as aiohttp does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from aioweb.http.lists import split_list

__all__ = [
    "HandshakeError",
    "accept_key",
    "check_request",
    "choose_protocol",
    "WS_GUID",
]

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class HandshakeError(NamedTuple):
    """Why an upgrade request was refused: the status, a reason, and headers to add."""

    status: int
    reason: str
    headers: dict[str, str]


def _tokens(value: str) -> list[str]:
    """A token list (``Upgrade``, ``Connection``), lower-cased: tokens hold no quoted commas,
    so the field list rule applies as it is."""
    return [t.lower() for t in split_list(value)]


def check_request(method: str, headers: Mapping[str, str]) -> HandshakeError | None:
    """Return ``None`` if the request is a valid upgrade, else why not.

    ``headers`` must look values up case-insensitively (``CIMultiDictProxy`` does).
    """
    if method != "GET":
        return HandshakeError(405, "WebSocket upgrade requires GET", {"Allow": "GET"})
    if "websocket" not in _tokens(headers.get("Upgrade", "")):
        return HandshakeError(400, "No WebSocket UPGRADE header: expected 'Upgrade: websocket'", {})
    if "upgrade" not in _tokens(headers.get("Connection", "")):
        return HandshakeError(400, "No CONNECTION upgrade header", {})
    version = headers.get("Sec-WebSocket-Version", "").strip()
    if version != "13":
        return HandshakeError(
            426,
            f"Unsupported WebSocket version {version!r}; this server speaks 13",
            {"Sec-WebSocket-Version": "13"},
        )
    key = headers.get("Sec-WebSocket-Key", "").strip()
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        return HandshakeError(400, f"Handshake error: invalid Sec-WebSocket-Key {key!r}", {})
    return None


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept``: base64(SHA-1(key + the RFC's GUID)), section 4.2.2."""
    digest = hashlib.sha1(key.strip().encode("ascii") + WS_GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def choose_protocol(requested: str | None, supported: Iterable[str]) -> str | None:
    """The first subprotocol the client listed that the server supports, or ``None``.

    The client orders ``Sec-WebSocket-Protocol`` by preference (section 4.1), so its order
    wins; a server that supports none of them simply answers without the header.
    """
    if not requested:
        return None
    offered = set(supported)
    if not offered:
        return None
    for proto in split_list(requested):
        if proto in offered:
            return proto
    return None
