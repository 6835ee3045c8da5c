"""One client connection: an asyncio protocol that parses responses with httptools and feeds
each body into a stream, with back-pressure both ways (the server's and the reader's)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httptools

from aioweb.server.streams import StreamReader

if TYPE_CHECKING:
    from aioweb.tooling.client.response import ClientResponse

__all__ = ["ClientConnectionError"]


class ClientConnectionError(ConnectionError):
    pass


class _Connection(asyncio.Protocol):
    """One client connection: parses responses and feeds their bodies to a stream."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._response: ClientResponse | None = None
        self._head_waiter: asyncio.Future[None] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._status = 0
        self._reason = ""
        self.closed = False
        self.keep_alive = True
        self.message_done = False
        self._head_only = False
        self._paused = False
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self.interim: list[int] = []

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    async def drain(self) -> None:
        if self._write_paused and not self.closed:
            self._drain_waiter = self._loop.create_future()
            await self._drain_waiter

    # protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: BaseException | None) -> None:
        self.closed = True
        err = ClientConnectionError("Connection closed")
        if self._head_waiter is not None and not self._head_waiter.done():
            self._head_waiter.set_exception(err)
        response = self._response
        if response is not None and not self.message_done and response._content is not None:
            # httptools has no ``feed_eof``: a body framed by neither Content-Length nor
            # chunked coding ends with the connection (RFC 9112 §6.3 rule 8); any other
            # body cut short is an error.
            names = {name.lower() for name, _value in self._headers}
            if b"content-length" not in names and b"transfer-encoding" not in names:
                self.message_done = True
                response.content.feed_eof()
            else:
                response.content.set_exception(err)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass
        except httptools.HttpParserError as exc:
            if self._head_waiter is not None and not self._head_waiter.done():
                self._head_waiter.set_exception(ClientConnectionError(f"Bad response: {exc}"))
            if self.transport is not None:
                self.transport.close()

    def pause_reading(self) -> None:
        if self.transport is not None and not self._paused:
            self._paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and self._paused:
            self._paused = False
            self.transport.resume_reading()

    # parser callbacks
    def on_message_begin(self) -> None:
        self._headers = []

    def on_status(self, status: bytes) -> None:
        self._reason = status.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self.interim.append(status)
            if self._head_waiter is not None and status == 100 and not self._head_waiter.done():
                self._head_waiter.set_result(None)
            return
        self._status = status
        self.keep_alive = bool(self._parser.should_keep_alive())
        response = self._response
        assert response is not None
        response._set_head(
            status,
            self._reason,
            self._parser.get_http_version(),
            self._headers,
            StreamReader(self, 2**16, loop=self._loop),
        )
        if self._head_only or status in (204, 304) or status == 101:
            self.message_done = True
            response.content.feed_eof()
            self._parser = httptools.HttpResponseParser(self)
        if self._head_waiter is not None and not self._head_waiter.done():
            self._head_waiter.set_result(None)

    def on_body(self, body: bytes) -> None:
        if self._response is not None and self._response._content is not None:
            self._response.content.feed_data(body)

    def on_message_complete(self) -> None:
        if self._status == 0 or (
            self.interim and self._response and self._response._content is None
        ):
            return
        self.message_done = True
        if self._response is not None and self._response._content is not None:
            self._response.content.feed_eof()

    def start(self, response: ClientResponse, head_only: bool) -> asyncio.Future[None]:
        self._response = response
        self._head_only = head_only
        self.message_done = False
        self._status = 0
        self.interim = []
        self._head_waiter = self._loop.create_future()
        return self._head_waiter

    def wait_head(self) -> asyncio.Future[None]:
        self._head_waiter = self._loop.create_future()
        return self._head_waiter
