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
"""

from __future__ import annotations

import asyncio
from typing import Any

from .http.decoding import BodyDecoder, DecodingError, UnsupportedEncoding
from .server.streams import EMPTY_PAYLOAD, StreamReader

__all__ = ["DecodingStreamReader", "decoding_payload"]

#: Decoded bytes handed to the reader per step (and about the most held in memory at once).
PIECE = 64 * 1024


def _content_encoding(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if len(name) == 16 and name.lower() == b"content-encoding":
            coding = value.decode("latin-1").strip()
            return None if coding.lower() in ("", "identity") else coding
    return None


def decoding_payload(head: Any, payload: StreamReader) -> StreamReader:
    """The body stream a handler should see for this request head."""
    if payload is EMPTY_PAYLOAD:
        return payload
    coding = _content_encoding(head.headers)
    if coding is None:
        return payload
    return DecodingStreamReader(payload, coding)


class DecodingStreamReader(StreamReader):
    """A ``StreamReader`` of the decoded body, pumped from the raw one on demand."""

    def __init__(self, raw: StreamReader, coding: str) -> None:
        super().__init__(flow=self, limit=PIECE)
        self._raw = raw
        self._coding = coding
        self._pump: asyncio.Task[None] | None = None
        self._resume: asyncio.Future[None] | None = None
        self._pump_paused = False

    # The pump starts on the first read that has to wait, so nothing (not even 100 Continue,
    # which the server arranges on this stream's first wait) happens before the handler asks.
    async def _wait(self) -> None:
        if self._pump is None and not self._eof and self._exception is None:
            self._pump = self._loop.create_task(self._run_pump())
        await super()._wait()

    # FlowControl, called by StreamReader.feed_data / _take
    def pause_reading(self) -> None:
        self._pump_paused = True

    def resume_reading(self) -> None:
        self._pump_paused = False
        waiter = self._resume
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _run_pump(self) -> None:
        from .exceptions import HTTPBadRequest, HTTPUnsupportedMediaType

        try:
            decoder = BodyDecoder(self._coding, 2**62)
        except UnsupportedEncoding as exc:
            self.set_exception(HTTPUnsupportedMediaType(text=str(exc)))
            return
        try:
            while chunk := await self._raw.readany():
                for piece in decoder.iter_decompress(chunk, PIECE):
                    self.feed_data(piece)
                    while self._pump_paused:
                        self._resume = self._loop.create_future()
                        await self._resume
            tail = decoder.flush()
            if tail:
                self.feed_data(tail)
            self.feed_eof()
        except DecodingError as exc:
            self.set_exception(HTTPBadRequest(text=f"Undecodable request body: {exc}"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the connection went away, and the like
            self.set_exception(exc)
