"""A small asyncio HTTP/1.1 client: the engine of ``TestClient``, usable on its own.

It covers what tests and simple services need: keep-alive connection reuse, redirects,
cookies, url-encoded/JSON/bytes/streamed (chunked) request bodies, ``Expect: 100-continue``,
and streaming response bodies.  It is not a replacement for a full client library.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import ssl as ssllib
from collections.abc import AsyncIterable, Awaitable, Generator, Iterable, Mapping
from http.cookies import Morsel, SimpleCookie
from typing import Any
from urllib.parse import urlencode

import httptools
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from aioweb.framework.helpers import HttpVersion, parse_mimetype_params
from aioweb.server.streams import StreamReader

__all__ = [
    "ClientConnectionError",
    "ClientResponse",
    "ClientResponseError",
    "ClientSession",
    "CookieJar",
]


class ClientConnectionError(ConnectionError):
    pass


class ClientResponseError(Exception):
    def __init__(self, status: int, message: str, headers: Any = None) -> None:
        super().__init__(f"{status}, message={message!r}")
        self.status = status
        self.message = message
        self.headers = headers


class CookieJar:
    """Cookies set by servers, sent back on later requests (no domain scoping: the test
    client talks to one server)."""

    def __init__(self, *, unsafe: bool = True) -> None:
        self._cookies: SimpleCookie = SimpleCookie()

    def update_cookies(self, cookies: Mapping[str, Any] | SimpleCookie) -> None:
        for name, value in cookies.items():
            if isinstance(value, Morsel):
                max_age = value.get("max-age")
                expires = value.get("expires")
                if (max_age not in (None, "") and int(max_age) <= 0) or (
                    expires and "1970" in expires
                ):
                    self._cookies.pop(name, None)
                    continue
                self._cookies[name] = value.value
            else:
                self._cookies[name] = str(value)

    def filter_cookies(self, request_url: URL | None = None) -> SimpleCookie:
        return self._cookies

    def clear(self) -> None:
        self._cookies = SimpleCookie()

    def __iter__(self) -> Any:
        return iter(self._cookies.values())

    def __len__(self) -> int:
        return len(self._cookies)


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


class ClientSession:
    """``async with ClientSession(base_url) as s: r = await s.get('/')``."""

    def __init__(
        self,
        base_url: str | URL | None = None,
        *,
        cookie_jar: CookieJar | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 300.0,
        ssl: ssllib.SSLContext | bool | None = None,
    ) -> None:
        self._base_url = URL(base_url) if base_url is not None else None
        self.cookie_jar = cookie_jar if cookie_jar is not None else CookieJar()
        self._default_headers = CIMultiDict(headers or {})
        self._timeout = timeout
        self._ssl = ssl
        self._pool: dict[tuple[str, int, bool], list[_Connection]] = {}
        self._all: set[_Connection] = set()
        self.closed = False

    def _build_url(self, url: str | URL) -> URL:
        url = URL(url)
        if url.is_absolute() or self._base_url is None:
            return url
        return self._base_url.join(url)

    async def _connect(self, url: URL) -> _Connection:
        key = (url.host or "", url.port or 80, url.scheme == "https")
        idle = self._pool.get(key)
        while idle:
            conn = idle.pop()
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                return conn
        loop = asyncio.get_running_loop()
        ssl_ctx: Any = None
        if url.scheme == "https":
            ssl_ctx = (
                self._ssl
                if isinstance(self._ssl, ssllib.SSLContext)
                else ssllib.create_default_context()
            )
            if self._ssl is False:
                ssl_ctx.check_hostname = False
                ssl_ctx.verify_mode = ssllib.CERT_NONE
        _, conn = await loop.create_connection(
            lambda: _Connection(loop), url.host, url.port, ssl=ssl_ctx
        )
        self._all.add(conn)
        return conn

    def _return_connection(self, url: URL, conn: _Connection) -> None:
        if conn.closed or not conn.keep_alive or not conn.message_done or self.closed:
            if conn.transport is not None:
                conn.transport.close()
            self._all.discard(conn)
            return
        key = (url.host or "", url.port or 80, url.scheme == "https")
        self._pool.setdefault(key, []).append(conn)

    def request(self, method: str, url: str | URL, **kwargs: Any) -> _RequestContext:
        return _RequestContext(self._request(method, url, **kwargs))

    def get(self, url: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("GET", url, **kwargs)

    def post(self, url: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("POST", url, **kwargs)

    def put(self, url: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("DELETE", url, **kwargs)

    def head(self, url: str | URL, **kwargs: Any) -> _RequestContext:
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("OPTIONS", url, **kwargs)

    @staticmethod
    def _encode_body(data: Any, json: Any, headers: CIMultiDict[str]) -> Any:
        if json is not None:
            headers.setdefault("Content-Type", "application/json")
            return jsonlib.dumps(json).encode()
        if data is None:
            return None
        if hasattr(data, "__aioweb_body__"):
            content_type, body = data.__aioweb_body__()
            headers.setdefault("Content-Type", content_type)
            return body
        if isinstance(data, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return data.encode()
        if isinstance(data, (bytes, bytearray, memoryview)):
            headers.setdefault("Content-Type", "application/octet-stream")
            return bytes(data)
        if isinstance(data, (Mapping, list, tuple)):
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            items = data.items() if isinstance(data, Mapping) else data
            return urlencode(list(items)).encode()
        if hasattr(data, "read"):  # a file object
            return data.read()
        if isinstance(data, (AsyncIterable, Iterable)):
            return data
        raise TypeError(f"Cannot send data of type {type(data)!r}")

    async def _request(
        self,
        method: str,
        url: str | URL,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        cookies: Mapping[str, str] | None = None,
        allow_redirects: bool = True,
        max_redirects: int = 10,
        expect100: bool = False,
        chunked: bool | None = None,
        timeout: float | None = None,
        skip_auto_headers: Iterable[str] = (),
    ) -> ClientResponse:
        if self.closed:
            raise RuntimeError("Session is closed")
        target = self._build_url(url)
        if params:
            target = target.extend_query(params)
        hdrs: CIMultiDict[str] = CIMultiDict(self._default_headers)
        if headers:
            hdrs.update(headers)
        body = self._encode_body(data, json, hdrs)
        history: list[ClientResponse] = []
        method = method.upper()
        while True:
            response = await asyncio.wait_for(
                self._send(
                    method, target, hdrs, body, cookies, expect100, chunked, skip_auto_headers
                ),
                timeout if timeout is not None else self._timeout,
            )
            if (
                allow_redirects
                and response.status in (301, 302, 303, 307, 308)
                and "Location" in response.headers
            ):
                if len(history) >= max_redirects:
                    raise ClientResponseError(response.status, "Too many redirects")
                await response.release()
                history.append(response)
                target = target.join(URL(response.headers["Location"]))
                if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                    if method != "HEAD":
                        method = "GET"
                    body = None
                    for name in ("Content-Type", "Content-Length", "Transfer-Encoding"):
                        hdrs.popall(name, None)
                continue
            response.history = tuple(history)
            return response

    async def _send(
        self,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
        body: Any,
        cookies: Mapping[str, str] | None,
        expect100: bool,
        chunked: bool | None,
        skip_auto_headers: Iterable[str],
    ) -> ClientResponse:
        hdrs = CIMultiDict(headers)
        skip = {h.lower() for h in skip_auto_headers}
        if "host" not in skip:
            hdrs.setdefault("Host", url.raw_authority or "localhost")
        if "user-agent" not in skip:
            hdrs.setdefault("User-Agent", "aioweb-client")
        if "accept" not in skip:
            hdrs.setdefault("Accept", "*/*")
        jar = dict(
            (name, morsel.value) for name, morsel in self.cookie_jar.filter_cookies(url).items()
        )
        if cookies:
            jar.update(cookies)
        if jar and "Cookie" not in hdrs:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        streamed = body is not None and not isinstance(body, bytes)
        if streamed or chunked:
            hdrs["Transfer-Encoding"] = "chunked"
            hdrs.popall("Content-Length", None)
        elif body is not None:
            hdrs["Content-Length"] = str(len(body))
        elif method in ("POST", "PUT", "PATCH") and "Content-Length" not in hdrs:
            hdrs["Content-Length"] = "0"
        if expect100:
            hdrs["Expect"] = "100-continue"
        head = (
            f"{method} {url.raw_path_qs or '/'} HTTP/1.1\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
            + "\r\n"
        )
        conn = await self._connect(url)
        response = ClientResponse(method, url, self)
        response._connection = conn
        head_waiter = conn.start(response, head_only=method == "HEAD")
        assert conn.transport is not None
        conn.transport.write(head.encode("utf-8", "surrogateescape"))
        if expect100 and body is not None:
            await head_waiter
            if response.status:  # a final answer instead of 100: do not send the body
                return self._finish(response, url)
            head_waiter = conn.wait_head()
        if body is not None:
            if isinstance(body, bytes) and not chunked:
                conn.transport.write(body)
            else:
                await self._write_stream(conn, body)
        await head_waiter
        return self._finish(response, url)

    def _finish(self, response: ClientResponse, url: URL) -> ClientResponse:
        self.cookie_jar.update_cookies(response.cookies)
        if (
            response.content.is_eof()
            and response._connection is not None
            and response._connection.message_done
        ):
            pass
        return response

    @staticmethod
    async def _write_stream(conn: _Connection, body: Any) -> None:
        assert conn.transport is not None
        if isinstance(body, bytes):
            chunks: Any = [body]
        else:
            chunks = body
        if isinstance(chunks, AsyncIterable):
            async for chunk in chunks:
                if chunk:
                    conn.transport.write(b"%x\r\n%b\r\n" % (len(chunk), bytes(chunk)))
                    await conn.drain()
        else:
            for chunk in chunks:
                if chunk:
                    conn.transport.write(b"%x\r\n%b\r\n" % (len(chunk), bytes(chunk)))
                    await conn.drain()
        conn.transport.write(b"0\r\n\r\n")

    async def close(self) -> None:
        self.closed = True
        for conn in list(self._all):
            if conn.transport is not None:
                conn.transport.close()
        self._all.clear()
        self._pool.clear()

    async def __aenter__(self) -> ClientSession:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
