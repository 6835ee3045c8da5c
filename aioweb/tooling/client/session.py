"""``ClientSession``: keep-alive connection reuse, redirects, cookies, and request bodies
(url-encoded, JSON, bytes, streamed as chunks) with ``Expect: 100-continue``."""

from __future__ import annotations

import asyncio
import json as jsonlib
import ssl as ssllib
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from multidict import CIMultiDict
from yarl import URL

from aioweb.tooling.client.connection import _Connection
from aioweb.tooling.client.cookies import CookieJar
from aioweb.tooling.client.response import ClientResponse, ClientResponseError, _RequestContext

__all__ = ["ClientSession"]


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
