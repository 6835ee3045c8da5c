"""The payload contract: a body that writes itself into a writer, piece by piece.

A ``Payload`` knows its headers (``Content-Type``, maybe ``Content-Disposition``), its size
when that is known before sending (then the response keeps a ``Content-Length``), and how to
``write`` its bytes into anything with ``async write(data)``.  ``Response(body=...)`` wraps
files, async iterators and the like in one (see ``registry``) and passes *itself* as that
writer, so a payload's writes go through the response's length check, compression, chunking
and the connection's back-pressure like any handler's ``await resp.write()``.

The shape is aiohttp's (``aiohttp.payload.Payload``), so code written against it, and
subclasses of it, run unchanged.
"""

from __future__ import annotations

import mimetypes
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, Protocol

from multidict import CIMultiDict

from aioweb.http.disposition import format_disposition

__all__ = ["AbstractStreamWriter", "BodyWriter", "Payload"]


class BodyWriter(Protocol):
    """What a payload writes into: a response, or aiohttp's stream writer."""

    async def write(self, data: bytes | bytearray | memoryview) -> None: ...


class AbstractStreamWriter(ABC):
    """aiohttp's writer contract, which a response drives when a test hands it one
    (``make_mocked_request(writer=...)``): headers, body pieces, the end."""

    buffer_size: int = 0
    output_size: int = 0
    length: int | None = 0

    @abstractmethod
    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        """Write one body piece."""

    @abstractmethod
    async def write_eof(self, chunk: bytes = b"") -> None:
        """Write the last piece and end the message."""

    @abstractmethod
    async def drain(self) -> None:
        """Wait until the transport accepts more."""

    @abstractmethod
    def enable_compression(self, encoding: str = "deflate", strategy: int | None = None) -> None:
        """Compress what follows."""

    @abstractmethod
    def enable_chunking(self) -> None:
        """Frame what follows as chunks."""

    @abstractmethod
    async def write_headers(self, status_line: str, headers: CIMultiDict[str]) -> None:
        """Write the status line and the header fields."""

    def send_headers(self) -> None:  # noqa: B027 - optional, not abstract
        """Send headers kept back for coalescing (no-op by default)."""


class Payload(ABC):
    """A body to send: headers, an optional known size, and ``write(writer)``."""

    _default_content_type = "application/octet-stream"
    _size: int | None = None
    _consumed = False
    _autoclose = False

    def __init__(
        self,
        value: Any,
        headers: CIMultiDict[str] | dict[str, str] | Iterable[tuple[str, str]] | None = None,
        content_type: str | None = None,
        filename: str | None = None,
        encoding: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._value = value
        self._encoding = encoding
        self._filename = filename
        self._headers: CIMultiDict[str] = CIMultiDict()
        if content_type is None and filename is not None:
            content_type = mimetypes.guess_type(filename)[0]
        self._headers["Content-Type"] = content_type or self._default_content_type
        if headers:
            self._headers.update(headers)

    @property
    def size(self) -> int | None:
        """Bytes ``write`` will produce, or None when unknown before sending."""
        return self._size

    @property
    def filename(self) -> str | None:
        return self._filename

    @property
    def headers(self) -> CIMultiDict[str]:
        return self._headers

    @property
    def encoding(self) -> str | None:
        return self._encoding

    @property
    def content_type(self) -> str:
        return self._headers["Content-Type"]

    @property
    def consumed(self) -> bool:
        """The payload was read and cannot be written again (a stream)."""
        return self._consumed

    @property
    def autoclose(self) -> bool:
        """Nothing to release after writing (in-memory bodies)."""
        return self._autoclose

    def set_content_disposition(
        self, disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
    ) -> None:
        self._headers["Content-Disposition"] = format_disposition(
            disptype, params, fallback="percent" if quote_fields else "raw", charset=_charset
        )

    @abstractmethod
    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The whole body as text (in-memory payloads only)."""

    @abstractmethod
    async def write(self, writer: Any) -> None:
        """Write the body into ``writer`` (``await writer.write(piece)`` for each piece)."""

    async def write_with_length(self, writer: Any, content_length: int | None) -> None:
        """Write at most ``content_length`` bytes (None: all of them)."""
        if content_length is None:
            await self.write(writer)
            return
        await self.write(_Limited(writer, content_length))

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        """The whole body in memory."""
        sink = _Collect()
        await self.write(sink)
        return b"".join(sink.parts)

    async def close(self) -> None:
        """Release what the payload holds (a file); called once the body is sent."""
        self._consumed = True


class _Limited:
    """A writer passing on at most ``limit`` bytes."""

    def __init__(self, writer: Any, limit: int) -> None:
        self._writer = writer
        self._left = limit

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._left <= 0:
            return
        piece = bytes(data[: self._left])
        self._left -= len(piece)
        await self._writer.write(piece)


class _Collect:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        self.parts.append(bytes(data))
