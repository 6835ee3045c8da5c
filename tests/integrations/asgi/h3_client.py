"""A minimal HTTP/3 client on aioquic (the library hypercorn's QUIC support is built on),
for checking that an aioweb app answers over HTTP/3: one request, the whole response."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, cast
from urllib.parse import urlsplit

from aioquic.asyncio.client import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, H3Event, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import QuicEvent


class _H3Protocol(QuicConnectionProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.waiters: dict[int, asyncio.Future[tuple[list[tuple[bytes, bytes]], bytes]]] = {}
        self.heads: dict[int, list[tuple[bytes, bytes]]] = {}
        self.bodies: dict[int, bytearray] = {}

    def quic_event_received(self, event: QuicEvent) -> None:
        for h3_event in self.h3.handle_event(event):
            self._on_h3(h3_event)

    def _on_h3(self, event: H3Event) -> None:
        if isinstance(event, HeadersReceived):
            self.heads[event.stream_id] = list(event.headers)
        elif isinstance(event, DataReceived):
            self.bodies.setdefault(event.stream_id, bytearray()).extend(event.data)
        else:
            return
        if event.stream_ended:
            waiter = self.waiters.pop(event.stream_id)
            body = bytes(self.bodies.pop(event.stream_id, b""))
            waiter.set_result((self.heads.pop(event.stream_id), body))

    async def request(
        self, method: str, url: str, body: bytes = b""
    ) -> tuple[list[tuple[bytes, bytes]], bytes]:
        parts = urlsplit(url)
        stream_id = self._quic.get_next_available_stream_id()
        headers = [
            (b":method", method.encode()),
            (b":scheme", b"https"),
            (b":authority", parts.netloc.encode()),
            (
                b":path",
                (parts.path or "/").encode()
                + (b"?" + parts.query.encode() if parts.query else b""),
            ),
        ]
        if body:
            headers.append((b"content-length", str(len(body)).encode()))
        self.h3.send_headers(stream_id, headers, end_stream=not body)
        if body:
            self.h3.send_data(stream_id, body, end_stream=True)
        waiter = self.waiters[stream_id] = asyncio.get_running_loop().create_future()
        self.transmit()
        return await asyncio.wait_for(waiter, 10)


async def h3_get(
    url: str, cafile: str, method: str = "GET", body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, body)`` of one request over HTTP/3 (QUIC) to ``url``."""
    parts = urlsplit(url)
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
    config.load_verify_locations(cafile)
    config.verify_mode = ssl.CERT_REQUIRED
    async with connect(
        parts.hostname or "127.0.0.1",
        parts.port or 443,
        configuration=config,
        create_protocol=_H3Protocol,
    ) as client:
        proto = cast(_H3Protocol, client)
        raw, data = await proto.request(method, url, body)
    fields = {k.decode(): v.decode() for k, v in raw}
    return int(fields.pop(":status")), fields, data
