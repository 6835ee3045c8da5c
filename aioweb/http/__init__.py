"""The wire layer: bytes in, events out; events in, bytes out.

Nothing here knows about applications, routes or the event loop's transports.

The package itself only answers, lazily, the WebSocket vocabulary that ``aiohttp.http`` exports
(``from aiohttp.http import WSMsgType`` ported as ``from aioweb.http import WSMsgType``): the
names live in :mod:`aioweb.http.websocket.messages`, and are imported on first use so that
importing any wire module does not load the WebSocket codec.
"""

from __future__ import annotations

from typing import Any

# aiohttp.http's WebSocket names that are wire concepts here too.
_WEBSOCKET_NAMES = frozenset(("WSCloseCode", "WSMessage", "WSMsgType", "WebSocketError"))


def __getattr__(name: str) -> Any:
    if name in _WEBSOCKET_NAMES:
        from aioweb.http.websocket import messages  # noqa: PLC0415 (import cost: the codec only when asked)

        return getattr(messages, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
