"""``Response`` bodies that are not bytes: payloads (files, async iterators, multipart...),
and responses prepared on a request whose writer is aiohttp's ``AbstractStreamWriter``.

Nothing here runs for a bytes or str body (the common path, in ``response.py``).  A payload
body is written by ``send_payload`` at ``write_eof``: the payload writes into the response
itself, so its pieces get the response's length check, compression, chunked framing and the
connection's back-pressure, and the payload is closed (its file released) however that ends.
"""

from __future__ import annotations

import sys
import warnings
from typing import TYPE_CHECKING, Any

from multidict import getversion, istr

from aioweb.framework.payloads import (
    PAYLOAD_REGISTRY,
    BodyPartReaderPayload,
    LookupError,
    Order,
    register_payload,
)
from aioweb.http.writer import serialize_head, status_line

if TYPE_CHECKING:
    from aioweb.framework.request import BaseRequest
    from aioweb.framework.response import Response, StreamResponse

__all__ = [
    "ForeignWriter",
    "check_reason",
    "describe",
    "drain_deprecated",
    "payload_head",
    "prepared_writer",
    "run_prepare_hook",
    "send_payload",
    "to_payload",
]


_CONTENT_TYPE = istr("Content-Type")
_CONTENT_LENGTH = istr("Content-Length")


def to_payload(body: Any) -> Any:
    """The payload for ``body``: aioweb's registry first, then, for a body made by aiohttp
    (``aiohttp.get_payload(...)``, ``@aiohttp.streamer``) when aiohttp is loaded, its registry."""
    if not _parts_registered:
        _register_parts()
    try:
        return PAYLOAD_REGISTRY.get(body)
    except LookupError:
        pass
    foreign = sys.modules.get("aiohttp.payload")
    if foreign is not None:
        try:
            return foreign.PAYLOAD_REGISTRY.get(body)
        except foreign.LookupError:
            pass
    raise ValueError(f"Unsupported body type {type(body)!r}")


_parts_registered = False


def _register_parts() -> None:
    """Register the multipart part reader's payload (before the async-iterable catch-all,
    which a part, being async-iterable, would otherwise fall into).  Done on first use: the
    multipart reader imports the exceptions, which import the response."""
    global _parts_registered
    from aioweb.framework.multipart import BodyPartReader  # noqa: PLC0415 - import cycle

    register_payload(BodyPartReaderPayload, BodyPartReader, order=Order.try_first)
    _parts_registered = True


def payload_head(response: Response) -> None:
    """Headers of a payload body at ``prepare``: Content-Length when its size is known (and
    nothing else framed it), else the response is streamed chunked (or to the close)."""
    payload = response._payload
    headers = response._headers
    if response._chunked or _CONTENT_LENGTH in headers:
        return
    size = payload.size
    if size is not None and not response._compression:
        headers[_CONTENT_LENGTH] = str(size)


async def send_payload(response: Response) -> None:
    """Write the payload body, then end the response; the payload is closed in any case."""
    payload = response._payload
    try:
        if not response._no_body:
            await payload.write(response)
    finally:
        await payload.close()
    writer = response._send_eof(b"")  # (StreamResponse.write_eof's steps)
    if writer.writing_paused:
        await writer.drain()
    response._writer = None
    response._eof_sent = True


class ForeignWriter:
    """The connection side of a response prepared on a request that carries aiohttp's
    ``AbstractStreamWriter`` (``make_mocked_request(writer=...)``): the status line and
    headers go to its ``write_headers``, body pieces to ``write``, the last to ``write_eof``.

    The response writes synchronously and awaits ``drain`` whenever ``writing_paused`` is
    true (always, here), which is where the writer's coroutines are awaited.
    """

    def __init__(self, writer: Any, response: StreamResponse) -> None:
        self.writer = writer
        self._response = response
        self._pending: list[bytes] = []

    writing_paused = True

    def write(self, data: bytes) -> None:
        self._pending.append(bytes(data))

    async def drain(self) -> None:
        data = b"".join(self._pending)
        self._pending.clear()
        if self._response._eof_sent:
            await self.writer.write_eof(data)
        elif data:
            await self.writer.write(data)

    async def start(self, response: StreamResponse, request: BaseRequest) -> Any:
        """Hand the status line and the headers, built as the server builds them, to the writer."""
        response._head = None  # (built by StreamResponse._start before the hook)
        compressor = response._compressor
        if compressor is not None:  # aiohttp's writer compresses what it is given
            response._compressor = None
            self.writer.enable_compression(compressor.coding, None)
        version = request.version
        line = f"HTTP/{version[0]}.{version[1]} {response.status} {response.reason}"
        await self.writer.write_headers(line, response._headers)
        return self.writer


async def run_prepare_hook(
    response: StreamResponse, request: BaseRequest, hook: Any, head: bytes
) -> Any:
    """Run the on_response_prepare signals on a response whose head is built: they see the
    headers as they will be sent (Date, Server, Content-Length...) and may change them (drop
    Server), as in aiohttp; the head is serialized again only if they did.  Returns what
    ``prepare`` returns."""
    writer = response._writer
    headers = response._headers
    version = getversion(headers)
    status, reason = response._status, response._reason
    await hook(response)
    if response._writer is not writer:
        # The hook handed the response another writer: aiohttp's AbstractStreamWriter of
        # make_mocked_request(writer=...) (ForeignWriter).
        return await response._writer.start(response, request)
    if getversion(headers) != version or (response._status, response._reason) != (status, reason):
        http11 = request.version >= (1, 1)
        line = status_line("1.1" if http11 else "1.0", response._status, response._reason)
        head = serialize_head(line, headers.items())
    response._head = head
    return writer


def prepared_writer(writer: Any) -> Any:
    """What ``prepare`` returns again: the connection, or a mocked request's own writer."""
    return writer.writer if type(writer) is ForeignWriter else writer


def describe(response: StreamResponse) -> str:
    """``repr(response)``: its state, or (aiohttp's form) the request a prepared one answers."""
    req = response._req
    if response._eof_sent:
        state = "eof"
    elif response.prepared and req is not None:
        state = f"{req.method} {req.path} "
    else:
        state = "not prepared"
    return f"<{type(response).__name__} {response.reason} {state}>"


def check_reason(reason: str) -> None:
    """A reason phrase goes into the status line: CR or LF would start a header of its own."""
    if "\r" in reason or "\n" in reason:
        raise ValueError("Reason cannot contain \\r or \\n")


async def drain_deprecated(response: StreamResponse) -> None:
    """``StreamResponse.drain()``: deprecated as in aiohttp, and a flush: the head kept back
    for the first body bytes goes now (a handler that drains then waits has its status and
    headers on the wire, as aiohttp's StreamResponse has them at prepare)."""
    writer = response._writer
    if writer is None:
        raise RuntimeError("Response has not been started")
    warnings.warn(
        "drain method is deprecated, use await resp.write()", DeprecationWarning, stacklevel=3
    )
    head = response._head
    if head is not None:
        response._head = None
        writer.write(head)
    await writer.drain()
