"""``aioweb.websocket_client``: the public path of :mod:`aioweb.tooling.websocket_client` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.tooling.websocket_client import (
    ClientWebSocketResponse,
    WSServerHandshakeError,
    ws_connect,
)

__all__ = [
    "ClientWebSocketResponse",
    "ws_connect",
    "WSServerHandshakeError",
]
