"""The adapter's connections implement the server/framework contract (``Connection``) and its
transport is an ``asyncio.Transport``: checked here as tests/architecture checks the server's."""

from __future__ import annotations

import asyncio
from typing import Any

from aioweb.integrations.asgi.http_exchange import HttpConnection
from aioweb.integrations.asgi.websocket_exchange import WebSocketConnection
from aioweb.server.contract import Connection

SCOPE: dict[str, Any] = {
    "type": "http",
    "client": ("127.0.0.1", 5000),
    "server": ("127.0.0.1", 8000),
    "headers": [],
}


async def _receive() -> dict[str, Any]:
    return {"type": "http.disconnect"}


async def _send(message: Any) -> None:
    return None


def test_connections_satisfy_the_contract() -> None:
    async def main() -> None:
        http = HttpConnection(SCOPE, _receive, _send, "aioweb", frozenset())
        ws = WebSocketConnection(dict(SCOPE, type="websocket"), _receive, _send, "aioweb")
        for conn in (http, ws):
            assert isinstance(conn, Connection)
            assert isinstance(conn.transport, asyncio.Transport)
            assert conn.peername == ("127.0.0.1", 5000)
            assert conn.transport.get_extra_info("sockname") == ("127.0.0.1", 8000)
            assert conn.transport.get_extra_info("sslcontext") is None

    asyncio.run(main())
