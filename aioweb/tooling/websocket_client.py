"""A small WebSocket client with aiohttp's ``ws_connect`` API, for tests and tooling.

``TestClient.ws_connect(path)`` uses it; it can also be used directly::

    async with ws_connect("ws://127.0.0.1:8080/ws") as ws:
        await ws.send_str("hi")
        msg = await ws.receive()

The client side of the same session state machine the server uses
(:class:`aioweb.framework.websocket.WebSocketSession`), with masking on, as RFC 6455 section 5.3
requires of clients. It speaks HTTP/1.1 just enough to send the upgrade request and check
the ``101`` answer (status, ``Upgrade``, ``Connection``, ``Sec-WebSocket-Accept``, the
subprotocol and permessage-deflate parameters).
"""

from __future__ import annotations

import asyncio
import base64
import os
import ssl as ssl_module
from collections.abc import Generator, Iterable, Mapping
from typing import Any

from multidict import CIMultiDict
from yarl import URL

from aioweb.framework.websocket_session import WebSocketSession
from aioweb.http.websocket import (
    DeflateParams,
    PerMessageDeflate,
    accept_key,
    parse_extensions,
)
from aioweb.http.websocket.options import (
    DEFAULT_CLIENT_COMPRESS,
    DEFAULT_MAX_MSG_SIZE,
    DEFAULT_TIMEOUT,
    WebSocketOptions,
)

__all__ = ["ClientWebSocketResponse", "WSServerHandshakeError", "ws_connect"]

_MAX_HEAD = 64 * 1024


class WSServerHandshakeError(Exception):
    """The server did not accept the upgrade (``status`` is its HTTP status)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.headers = CIMultiDict(headers or {})


class _ClientProtocol(asyncio.Protocol):
    """Reads the 101 response head, then hands every byte to the session."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.session: ClientWebSocketResponse | None = None
        self.head = bytearray()
        self.head_done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.writing_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.session is not None:
            self.session.feed_data(data)
            return
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            if len(self.head) > _MAX_HEAD and not self.head_done.done():
                self.head_done.set_exception(WSServerHandshakeError(0, "response head too long"))
            return
        if not self.head_done.done():
            self.head_done.set_result(bytes(self.head))

    def attach(self, session: ClientWebSocketResponse, rest: bytes) -> None:
        self.session = session
        if rest:
            session.feed_data(rest)
        if self._lost:
            session.connection_lost(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if not self.head_done.done():
            self.head_done.set_exception(ConnectionResetError("Connection lost in handshake"))
        if self.session is not None:
            self.session.connection_lost(exc)
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def drain(self) -> None:
        if self._lost:
            raise ConnectionResetError("Connection lost")
        if self.writing_paused:
            waiter = self._drain_waiter
            if waiter is None or waiter.done():
                waiter = self._drain_waiter = asyncio.get_running_loop().create_future()
            await waiter


class ClientWebSocketResponse(WebSocketSession):
    """The client end of a WebSocket: aiohttp's ``ClientWebSocketResponse`` API."""

    def __init__(self, response_headers: CIMultiDict[str], options: WebSocketOptions) -> None:
        super().__init__(options)
        self._response_headers = response_headers

    @property
    def protocol(self) -> str | None:
        """The subprotocol the server chose."""
        return self._ws_protocol

    @property
    def compress(self) -> int:
        """The negotiated client window bits, 0 without permessage-deflate (as aiohttp)."""
        if self._deflate is None:
            return 0
        return self._deflate.params.client_max_window_bits

    @property
    def response_headers(self) -> CIMultiDict[str]:
        return self._response_headers

    def connection_lost(self, exc: BaseException | None) -> None:
        self._connection_lost(exc)

    async def __aenter__(self) -> ClientWebSocketResponse:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _WSConnect:
    """``await ws_connect(...)`` or ``async with ws_connect(...) as ws``."""

    def __init__(self, coro: Any) -> None:
        self._coro = coro
        self._ws: ClientWebSocketResponse | None = None

    def __await__(self) -> Generator[Any, None, ClientWebSocketResponse]:
        return self._coro.__await__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> ClientWebSocketResponse:
        self._ws = await self._coro
        return self._ws

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()


def ws_connect(
    url: str | URL,
    *,
    protocols: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    receive_timeout: float | None = None,
    autoclose: bool = True,
    autoping: bool = True,
    heartbeat: float | None = None,
    headers: Mapping[str, str] | None = None,
    origin: str | None = None,
    compress: int = DEFAULT_CLIENT_COMPRESS,
    max_msg_size: int = DEFAULT_MAX_MSG_SIZE,
    ssl: ssl_module.SSLContext | bool | None = None,
    _registry: list[Any] | None = None,
    **_ignored: Any,
) -> _WSConnect:
    """Open a WebSocket to ``url`` (``ws://`` or ``wss://``; ``http(s)://`` also accepted)."""
    options = WebSocketOptions(
        timeout=timeout,
        receive_timeout=receive_timeout,
        autoclose=autoclose,
        autoping=autoping,
        heartbeat=heartbeat,
        protocols=tuple(protocols),
        compress=compress,
        max_msg_size=max_msg_size,
    )
    return _WSConnect(_connect(URL(url), options, headers, origin, ssl, _registry))


async def _connect(
    url: URL,
    options: WebSocketOptions,
    headers: Mapping[str, str] | None,
    origin: str | None,
    ssl: ssl_module.SSLContext | bool | None,
    registry: list[Any] | None,
) -> ClientWebSocketResponse:
    secure = url.scheme in ("wss", "https")
    host = url.raw_host or "127.0.0.1"
    port = url.port or (443 if secure else 80)
    loop = asyncio.get_running_loop()
    ssl_arg: Any = None
    if secure:
        ssl_arg = (
            ssl if isinstance(ssl, ssl_module.SSLContext) else ssl_module.create_default_context()
        )
    protocols, compress = options.protocols, int(options.compress)
    async with asyncio.timeout(options.timeout):
        transport, proto = await loop.create_connection(_ClientProtocol, host, port, ssl=ssl_arg)
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(_handshake_request(url, key, protocols, compress, origin, headers))
        try:
            raw = await proto.head_done
        except BaseException:
            transport.close()
            raise
    status_line, response_headers, rest = _parse_head(raw)
    try:
        protocol, deflate = _check_handshake(
            status_line, response_headers, key, protocols, compress
        )
    except WSServerHandshakeError:
        transport.close()
        raise

    ws = ClientWebSocketResponse(response_headers, options)
    ws._conn = proto
    ws._begin_session(loop, transport, protocol, deflate, is_server=False)
    proto.attach(ws, rest)
    if registry is not None:
        registry.append(ws)
    return ws


def _handshake_request(
    url: URL,
    key: str,
    protocols: tuple[str, ...],
    compress: int,
    origin: str | None,
    headers: Mapping[str, str] | None,
) -> bytes:
    """The opening handshake's GET (RFC 6455 §4.1), with the subprotocols and the
    permessage-deflate offer (RFC 7692 §7.1) asked for."""
    lines = [
        f"GET {url.raw_path_qs or '/'} HTTP/1.1",
        f"Host: {url.raw_authority}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if protocols:
        lines.append(f"Sec-WebSocket-Protocol: {', '.join(protocols)}")
    if compress:
        offer = "permessage-deflate; client_max_window_bits"
        if compress < 15:
            offer += f"; server_max_window_bits={compress}"
        lines.append(f"Sec-WebSocket-Extensions: {offer}")
    if origin:
        lines.append(f"Origin: {origin}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _parse_head(raw: bytes) -> tuple[str, CIMultiDict[str], bytes]:
    """The server's answer to the handshake: status line, header fields, and the bytes read
    past the head (frames the server sent at once)."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    response_headers: CIMultiDict[str] = CIMultiDict()
    for line in header_lines:
        name, _, value = line.partition(":")
        response_headers.add(name.strip(), value.strip())
    return status_line, response_headers, rest


def _check_handshake(
    status_line: str,
    response_headers: CIMultiDict[str],
    key: str,
    protocols: tuple[str, ...],
    compress: int,
) -> tuple[str | None, PerMessageDeflate | None]:
    """The client's checks of the server's handshake (RFC 6455 §4.1, the numbered list after
    "the client MUST validate the server's response"): 101, Upgrade, Connection, the accept
    key, an offered subprotocol, a usable extension.  Returns (subprotocol, deflate); raises
    :class:`WSServerHandshakeError` naming the first check that failed."""
    parts = status_line.split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0

    def fail(message: str) -> WSServerHandshakeError:
        return WSServerHandshakeError(status, message, response_headers)

    if status != 101:
        raise fail(f"Invalid response status {status_line!r}")
    if response_headers.get("Upgrade", "").lower() != "websocket":
        raise fail("Invalid upgrade header")
    if "upgrade" not in response_headers.get("Connection", "").lower():
        raise fail("Invalid connection header")
    if response_headers.get("Sec-WebSocket-Accept", "") != accept_key(key):
        raise fail("Invalid Sec-WebSocket-Accept")
    protocol = response_headers.get("Sec-WebSocket-Protocol")
    if protocol is not None and protocol not in protocols:
        raise fail(f"Server chose an unoffered subprotocol {protocol!r}")
    deflate = None
    ext = response_headers.get("Sec-WebSocket-Extensions")
    if ext:
        deflate = _accept_deflate(ext, compress)
        if deflate is None:
            raise fail(f"Server accepted an extension we cannot use: {ext!r}")
    return protocol, deflate


def _accept_deflate(header: str, compress: int) -> PerMessageDeflate | None:
    """Read the server's permessage-deflate answer (RFC 7692 section 7.1)."""
    if not compress:
        return None
    for name, params in parse_extensions(header):
        if name != "permessage-deflate":
            return None
        values = dict(params)
        try:
            server_bits = int(values.get("server_max_window_bits") or 15)
            client_bits = int(values.get("client_max_window_bits") or 15)
        except ValueError:
            return None
        if not (8 <= server_bits <= 15 and 8 <= client_bits <= 15):
            return None
        return PerMessageDeflate(
            DeflateParams(
                server_max_window_bits=server_bits,
                client_max_window_bits=client_bits,
                server_no_context_takeover="server_no_context_takeover" in values,
                client_no_context_takeover="client_no_context_takeover" in values,
            ),
            is_server=False,
        )
    return None
