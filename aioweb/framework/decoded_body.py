"""Request bodies sent with ``Content-Encoding`` (gzip, deflate, br), decoded as they are read.

aiohttp's server hands handlers the *decoded* body of a request that says
``Content-Encoding: gzip``; so does aioweb. ``decoding_payload(head, payload)`` returns the
stream handlers see (``request.content``): a ``StreamReader`` fed by a small pump that reads
the raw body, decodes it with ``aioweb.http.decoding.BodyDecoder`` in pieces of at most
64 KiB, and stops whenever the decoded buffer is full (the usual flow control). Nothing is
decoded before the handler reads, and never much more than it reads: a compression bomb
costs CPU only as fast as the handler consumes it, and ``read()``/``post()``/``json()``
refuse it with 413 once the decoded bytes pass ``client_max_size``.

Errors reach the reader as HTTP errors: an unknown coding is 415, a corrupt stream 400.
Requests without ``Content-Encoding`` (or with ``identity``) keep the raw stream, untouched.

``Server(auto_decompress=False)`` (aiohttp's handler option, also given as
``Application(handler_args={"auto_decompress": False})``) hands bodies on as received, still
encoded: for a proxy that forwards them, or a handler that stores them compressed.  The server
then builds its requests through ``keeping_encoded(factory)``, which marks each body stream;
only a request that says ``Content-Encoding`` ever looks at the mark.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from aioweb.framework.exceptions import HTTPUnsupportedMediaType, UndecodableRequestBody
from aioweb.http.content_coding import request_codings
from aioweb.http.decoding import BodyDecoder, DecodingError, UnsupportedEncoding
from aioweb.http.parser import RequestHead
from aioweb.server.streams import EMPTY_PAYLOAD, StreamReader

__all__ = ["DecodingStreamReader", "decoding_payload", "keeping_encoded"]

#: Decoded bytes handed to the reader per step (and about the most held in memory at once).
PIECE = 64 * 1024

#: The attribute that marks a body stream to be handed on still encoded.
_KEEP_ENCODED = "_aioweb_keep_encoded"

R = TypeVar("R")


def keeping_encoded(
    factory: Callable[[RequestHead, StreamReader, Any], R],
) -> Callable[[RequestHead, StreamReader, Any], R]:
    """``factory`` (a server's request factory) with its requests' bodies left encoded."""

    def make_request(head: RequestHead, payload: StreamReader, protocol: Any) -> R:
        if payload is not EMPTY_PAYLOAD:  # (the shared empty stream has nothing to decode)
            setattr(payload, _KEEP_ENCODED, True)
        return factory(head, payload, protocol)

    return make_request


def decoding_payload(head: RequestHead, payload: StreamReader) -> StreamReader:
    """The body stream a handler should see for this request head.

    Every ``Content-Encoding`` line counts, as one list (RFC 9110 §5.3); the list itself is
    read by the wire layer's one parser (``request_codings``), only when the field is there
    (the usual POST has none, and pays for one pass over its header names).
    """
    if payload is EMPTY_PAYLOAD:
        return payload
    lines: list[str] | None = None
    for name, value in head.headers:  # a loop, not a comprehension: no frame per request
        if len(name) == 16 and name.lower() == b"content-encoding":
            if lines is None:
                lines = []
            lines.append(value.decode("latin-1"))
    if lines is None or getattr(payload, _KEEP_ENCODED, False):
        return payload
    codings = request_codings(lines)
    if not codings:
        return payload
    return DecodingStreamReader(payload, codings)


class DecodingStreamReader(StreamReader):
    """A ``StreamReader`` of the decoded body, pumped from the raw one on demand.

    The pump task holds only a weak reference to this reader while it waits, and the reader
    cancels the pump when it is collected: a handler that abandons a compressed body halfway
    leaves no task and no buffer behind once its request is gone.
    """

    def __init__(self, raw: StreamReader, codings: list[str]) -> None:
        # Flow control goes through a weak proxy: a reader that referred to itself would live
        # until the cyclic GC, which collects it together with its pump task (and complains).
        super().__init__(flow=_Flow(weakref.ref(self)), limit=PIECE)
        self._raw = raw
        self._codings = codings
        self._pump: asyncio.Task[None] | None = None
        self._resume: asyncio.Future[None] | None = None
        self._pump_paused = False

    def __del__(self) -> None:
        pump = self._pump
        if pump is not None and not pump.done():
            try:
                pump.cancel()
            except RuntimeError:  # the loop is already closed
                pass

    # The pump starts on the first read that has to wait, so nothing (not even 100 Continue,
    # which the server arranges on this stream's first wait) happens before the handler asks.
    async def _wait(self) -> None:
        if self._pump is None and not self._eof and self._exception is None:
            self._pump = self._loop.create_task(
                _pump(weakref.ref(self), self._raw, self._codings, self._loop)
            )
        await super()._wait()

    def _pause_pump(self) -> None:
        self._pump_paused = True

    def _resume_pump(self) -> None:
        self._pump_paused = False
        waiter = self._resume
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class _Flow:
    """The FlowControl that StreamReader.feed_data / _take call: pauses and resumes the pump."""

    __slots__ = ("_ref",)

    def __init__(self, ref: weakref.ref[DecodingStreamReader]) -> None:
        self._ref = ref

    def pause_reading(self) -> None:
        reader = self._ref()
        if reader is not None:
            reader._pause_pump()

    def resume_reading(self) -> None:
        reader = self._ref()
        if reader is not None:
            reader._resume_pump()


async def _pump(
    ref: weakref.ref[DecodingStreamReader],
    raw: StreamReader,
    codings: list[str],
    loop: asyncio.AbstractEventLoop,
) -> None:
    """Read the raw body, decode it piece by piece, feed the decoded stream (if it lives)."""

    def fail(exc: BaseException) -> None:
        reader = ref()
        if reader is not None:
            reader.set_exception(exc)

    try:
        decoder = BodyDecoder(codings, 2**62)
    except UnsupportedEncoding as exc:
        fail(HTTPUnsupportedMediaType(text=str(exc)))
        return
    try:
        while chunk := await raw.readany():
            for piece in decoder.iter_decompress(chunk, PIECE):
                reader = ref()
                if reader is None:
                    return
                reader.feed_data(piece)
                if reader._pump_paused:
                    waiter = reader._resume = loop.create_future()
                    del reader  # wait without keeping the reader alive
                    await waiter
        tail = decoder.flush()
        reader = ref()
        if reader is not None:
            if tail:
                reader.feed_data(tail)
            reader.feed_eof()
    except DecodingError as exc:
        fail(UndecodableRequestBody(text=f"Undecodable request body: {exc}"))
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the connection went away, and the like
        fail(exc)
