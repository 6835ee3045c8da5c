"""A client response (status and headers at once, the body read on demand) and the request
context that makes ``session.get(...)`` both awaitable and an async context manager."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Awaitable, Generator
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from aioweb.framework.helpers import HttpVersion, parse_mimetype_params
from aioweb.server.streams import StreamReader

if TYPE_CHECKING:
    from aioweb.tooling.client.connection import _Connection
    from aioweb.tooling.client.session import ClientSession

__all__ = ["ClientResponse", "ClientResponseError"]


class ClientResponseError(Exception):
    def __init__(self, status: int, message: str, headers: Any = None) -> None:
        super().__init__(f"{status}, message={message!r}")
        self.status = status
        self.message = message
        self.headers = headers


class ClientResponse:
    """A response: status and headers at once, the body read on demand."""

    def __init__(self, method: str, url: URL, session: ClientSession) -> None:
        self.method = method
        self.url = url
        self._session = session
        self.status = 0
        self.reason = ""
        self.version = HttpVersion(1, 1)
        self.headers: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())
        self.raw_headers: tuple[tuple[bytes, bytes], ...] = ()
        self.cookies: SimpleCookie = SimpleCookie()
        self.history: tuple[ClientResponse, ...] = ()
        self._content: StreamReader | None = None
        self._body: bytes | None = None
        self._connection: _Connection | None = None
        self._released = False

    def _set_head(
        self,
        status: int,
        reason: str,
        version: str,
        headers: list[tuple[bytes, bytes]],
        content: StreamReader,
    ) -> None:
        self.status = status
        self.reason = reason
        self.version = HttpVersion(*map(int, version.split(".")))
        self.raw_headers = tuple(headers)
        self.headers = CIMultiDictProxy(
            CIMultiDict(
                (n.decode("latin-1"), v.decode("utf-8", "surrogateescape")) for n, v in headers
            )
        )
        for value in self.headers.getall("Set-Cookie", ()):
            try:
                self.cookies.load(value)
            except Exception:  # a malformed cookie from the server is skipped
                continue
        self._content = content

    @property
    def content(self) -> StreamReader:
        assert self._content is not None
        return self._content

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def content_type(self) -> str:
        raw = self.headers.get("Content-Type")
        return parse_mimetype_params(raw)[0] if raw else "application/octet-stream"

    @property
    def charset(self) -> str | None:
        raw = self.headers.get("Content-Type")
        return parse_mimetype_params(raw)[1].get("charset") if raw else None

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        return int(value) if value is not None else None

    def raise_for_status(self) -> None:
        if self.status >= 400:
            raise ClientResponseError(self.status, self.reason, self.headers)

    async def read(self) -> bytes:
        if self._body is None:
            self._body = await self.content.read()
            self._release_connection()
        return self._body

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        body = await self.read()
        return body.decode(encoding or self.charset or "utf-8", errors)

    async def json(
        self, *, loads: Any = jsonlib.loads, content_type: str | None = "application/json"
    ) -> Any:
        body = await self.read()
        if content_type is not None and content_type not in self.content_type:
            raise ClientResponseError(
                self.status, f"Attempt to decode JSON with unexpected mimetype: {self.content_type}"
            )
        return loads(body.decode(self.charset or "utf-8")) if body.strip() else None

    def _release_connection(self) -> None:
        if self._released:
            return
        self._released = True
        conn = self._connection
        self._connection = None
        if conn is not None:
            self._session._return_connection(self.url, conn)

    async def release(self) -> None:
        if self._content is not None and not self._released:
            try:
                while await self._content.readany():
                    pass
            except Exception:
                self.close()
                return
        self._release_connection()

    def close(self) -> None:
        conn = self._connection
        self._connection = None
        self._released = True
        if conn is not None and conn.transport is not None:
            conn.transport.close()

    async def __aenter__(self) -> ClientResponse:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.release()

    def __repr__(self) -> str:
        return f"<ClientResponse({self.url}) [{self.status} {self.reason}]>"


class _RequestContext:
    """Awaitable and async context manager, like aiohttp's ``session.get(...)``."""

    def __init__(self, coro: Awaitable[ClientResponse]) -> None:
        self._coro = coro
        self._resp: ClientResponse | None = None

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        return self._coro.__await__()  # type: ignore[attr-defined,no-any-return]

    async def __aenter__(self) -> ClientResponse:
        self._resp = await self._coro
        return self._resp

    async def __aexit__(self, *exc: Any) -> None:
        if self._resp is not None:
            await self._resp.release()
