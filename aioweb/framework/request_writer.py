"""``request.writer``: raw bytes to the client ahead of the response (aiohttp's ``StreamWriter``).

aiohttp hands handlers the connection's writer as ``request.writer``; its documented use is an
``expect_handler`` that answers ``Expect: 100-continue`` itself, with
``await request.writer.write(b"HTTP/1.1 100 Continue\\r\\n\\r\\n")``, after checking the request
head (credentials, size) and before the client sends the body (RFC 9110 §10.1.1).

Such bytes are an *interim* response: the final response is still to come.  They therefore go
straight to the transport (after whatever the connection has batched, so that order holds)
without telling the connection that the response has started: a handler that fails after the
``100 Continue`` still gets its error response, which a started response would forbid.
Responses themselves write through ``StreamResponse``; this object is not their writer.
"""

from __future__ import annotations

import asyncio

from aioweb.server.contract import Connection

__all__ = ["RequestWriter"]


class RequestWriter:
    """The connection of one request, seen as aiohttp's ``request.writer``."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Connection | None) -> None:
        self._connection = connection  # (None: the request's connection was dropped)

    def __repr__(self) -> str:
        return f"<RequestWriter {self._connection!r}>"

    @property
    def transport(self) -> asyncio.Transport | None:
        return self._connection.transport if self._connection is not None else None

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send ``data`` as it is (no framing), then wait while the socket is backed up.

        ``ConnectionResetError`` when the client is gone, as aiohttp's writer raises.
        """
        connection = self._connection
        transport = self.transport
        if connection is None or transport is None or transport.is_closing():
            raise ConnectionResetError("Cannot write to closing transport")
        connection.flush()  # bytes batched for this connection leave first
        transport.write(bytes(data))
        await connection.drain()

    async def drain(self) -> None:
        """Wait until the transport's write buffer is below its high-water mark."""
        if self._connection is None:
            raise ConnectionResetError("Connection lost")
        await self._connection.drain()
