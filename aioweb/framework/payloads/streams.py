"""Payloads read while they are sent: file objects, text streams, async iterators and the
parts of an incoming multipart body.

A file is read in blocks off the event loop (a disk read blocks), an in-memory buffer
directly; each block is awaited into the writer, so a slow client holds back the reading
(back-pressure) instead of the body piling up in memory.  A file's size is known when it
can be measured (a regular file, a buffer), and the response then keeps a Content-Length.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterable, AsyncIterator
from typing import IO, Any

from aioweb.framework.payloads.base import Payload
from aioweb.http.disposition import format_disposition

__all__ = [
    "AsyncIterablePayload",
    "BodyPartReaderPayload",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "IOBasePayload",
    "StringIOPayload",
    "TextIOPayload",
]

READ_SIZE = 2**16  # bytes per read of a file


def _remaining(value: Any) -> int | None:
    """Bytes from the current position to the end, when that can be told without reading."""
    try:
        if isinstance(value, io.BytesIO):
            return value.getbuffer().nbytes - value.tell()
        return int(os.fstat(value.fileno()).st_size - value.tell())
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None


class IOBasePayload(Payload):
    """A binary file object; named files get ``Content-Disposition: attachment``."""

    def __init__(
        self, value: IO[Any], disposition: str | None = "attachment", *args: Any, **kwargs: Any
    ) -> None:
        name = getattr(value, "name", None)
        if "filename" not in kwargs and isinstance(name, str):
            kwargs["filename"] = os.path.basename(name)
        super().__init__(value, *args, **kwargs)
        filename = self._filename
        unset = "Content-Disposition" not in self._headers
        if filename is not None and disposition is not None and unset:
            self.set_content_disposition(disposition, filename=filename)
        self._start = _tell(value)

    @property
    def size(self) -> int | None:
        return _remaining(self._value)

    def _read(self, size: int) -> bytes:
        data = self._value.read(size)
        return data.encode(self._encoding or "utf-8") if isinstance(data, str) else bytes(data)

    async def _read_block(self) -> bytes:
        if isinstance(self._value, (io.BytesIO, io.StringIO)):
            return self._read(READ_SIZE)
        return await asyncio.get_running_loop().run_in_executor(None, self._read, READ_SIZE)

    async def write(self, writer: Any) -> None:
        try:
            while block := await self._read_block():
                await writer.write(block)
        finally:
            self._consumed = True

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        data = self._value.read()
        if isinstance(data, str):
            return data
        return bytes(data).decode(encoding, errors)

    async def close(self) -> None:
        self._consumed = True
        close = getattr(self._value, "close", None)
        if close is not None and not isinstance(self._value, (io.BytesIO, io.StringIO)):
            await asyncio.get_running_loop().run_in_executor(None, close)


def _tell(value: Any) -> int | None:
    try:
        return int(value.tell())
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None


class BytesIOPayload(IOBasePayload):
    """An in-memory binary buffer, read from its current position (no thread)."""

    async def close(self) -> None:
        self._consumed = True


class BufferedReaderPayload(IOBasePayload):
    """A file opened ``rb``."""


class TextIOPayload(IOBasePayload):
    """A text file object, encoded with ``encoding`` (UTF-8 by default) as it is read."""

    def __init__(
        self,
        value: IO[str],
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        encoding = encoding or getattr(value, "encoding", None) or "utf-8"
        if content_type is None:
            content_type = f"text/plain; charset={encoding}"
        super().__init__(value, *args, encoding=encoding, content_type=content_type, **kwargs)

    @property
    def size(self) -> int | None:
        return None  # characters are not bytes: unknown until encoded

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return str(self._value.read())


class StringIOPayload(TextIOPayload):
    """An in-memory text buffer (read at once: its size is then known)."""

    def __init__(self, value: io.StringIO, *args: Any, **kwargs: Any) -> None:
        super().__init__(value, *args, **kwargs)
        self._text = value.read()
        self._data = self._text.encode(self._encoding or "utf-8")

    @property
    def size(self) -> int | None:
        return len(self._data)

    async def write(self, writer: Any) -> None:
        self._consumed = True
        await writer.write(self._data)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self._text

    async def close(self) -> None:
        self._consumed = True


class AsyncIterablePayload(Payload):
    """Bytes from an async iterator (an async generator): streamed, size unknown."""

    def __init__(self, value: AsyncIterable[bytes], *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, AsyncIterable):
            raise TypeError(f"value argument must be an async iterable, not {type(value)!r}")
        kwargs.setdefault("content_type", "application/octet-stream")
        super().__init__(value, *args, **kwargs)
        self._iter: AsyncIterator[Any] | None = value.__aiter__()

    async def write(self, writer: Any) -> None:
        chunks = self._iter
        if chunks is None:
            return
        self._iter = None
        self._consumed = True
        async for chunk in chunks:
            await writer.write(chunk.encode() if isinstance(chunk, str) else chunk)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("an async iterable body cannot be decoded without sending it")


class BodyPartReaderPayload(Payload):
    """One part of an incoming multipart body, forwarded as it is read (a proxy's case)."""

    def __init__(self, value: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(value, *args, **kwargs)
        params: dict[str, str] = {}
        name = getattr(value, "name", None)
        filename = getattr(value, "filename", None)
        if name is not None:
            params["name"] = name
        if filename is not None:
            params["filename"] = filename
        if params:
            self._headers["Content-Disposition"] = format_disposition(
                "attachment", params, fallback="percent"
            )

    async def write(self, writer: Any) -> None:
        self._consumed = True
        while chunk := await self._value.read_chunk(READ_SIZE):
            await writer.write(self._value.decode(chunk))

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("a multipart part cannot be decoded without reading it")
