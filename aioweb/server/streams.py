"""The request body as an asyncio stream (aiohttp's ``StreamReader`` API) with flow control.

The server feeds body bytes in as the parser produces them; handlers read them out.  When
more than ``high_water`` bytes wait unread, the connection stops reading from the socket
(TCP then pushes back on the client) until the handler has consumed down to ``low_water``.
Reads never wait when data is already buffered, so a handler whose body has fully arrived
finishes without suspending.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from .settings import DEFAULT_READ_BUFSIZE

__all__ = ["EMPTY_PAYLOAD", "EmptyStreamReader", "EofStream", "FlowControl", "StreamReader"]


class EofStream(Exception):
    """Raised by ``readany``-style internals at the end of the stream (aiohttp's name)."""


class FlowControl(Protocol):
    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


class StreamReader:
    """A buffer of body chunks fed by the server and read by the application."""

    total_bytes: int

    def __init__(
        self,
        flow: FlowControl | None = None,
        limit: int = DEFAULT_READ_BUFSIZE,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._flow = flow
        self._low_water = limit
        self._high_water = limit * 2
        self._loop = loop or asyncio.get_event_loop()
        self._buffer: deque[bytes] = deque()
        self._size = 0
        self._eof = False
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._eof_waiter: asyncio.Future[None] | None = None
        self._exception: BaseException | None = None
        self._eof_callbacks: list[Callable[[], None]] = []
        self.total_bytes = 0
        #: Called once, right before the first read that has to wait for the client: the
        #: server uses it to send ``100 Continue`` only when the body is really wanted.
        self.on_first_wait: Callable[[], None] | None = None

    def __repr__(self) -> str:
        state = "eof" if self._eof else f"{self._size} bytes buffered"
        return f"<StreamReader {state}>"

    # -- producer side -------------------------------------------------------------------

    def feed_data(self, data: bytes) -> None:
        if not data:
            return
        self._buffer.append(data)
        self._size += len(data)
        self.total_bytes += len(data)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        if self._size > self._high_water and not self._paused and self._flow is not None:
            self._paused = True
            self._flow.pause_reading()

    def feed_eof(self) -> None:
        self._eof = True
        self._wake_all()
        callbacks, self._eof_callbacks = self._eof_callbacks, []
        for callback in callbacks:
            callback()

    def set_exception(self, exc: BaseException) -> None:
        self._exception = exc
        self._wake_all(exc)

    def _wake_all(self, exc: BaseException | None = None) -> None:
        for name in ("_waiter", "_eof_waiter"):
            waiter = getattr(self, name)
            if waiter is not None:
                setattr(self, name, None)
                if not waiter.done():
                    if exc is None:
                        waiter.set_result(None)
                    else:
                        waiter.set_exception(exc)

    def on_eof(self, callback: Callable[[], None]) -> None:
        if self._eof:
            callback()
        else:
            self._eof_callbacks.append(callback)

    # -- state ---------------------------------------------------------------------------

    def exception(self) -> BaseException | None:
        return self._exception

    def is_eof(self) -> bool:
        """All bytes have been received (some may still be buffered)."""
        return self._eof

    def at_eof(self) -> bool:
        """All bytes have been received and read."""
        return self._eof and not self._buffer

    def get_read_buffer_limits(self) -> tuple[int, int]:
        """``(low_water, high_water)``: reading from the socket pauses above ``high_water``
        unread bytes and resumes below ``low_water`` (the server's ``read_bufsize`` and twice
        it; aiohttp's ``StreamReader`` answers the same)."""
        return (self._low_water, self._high_water)

    async def wait_eof(self) -> None:
        if self._eof:
            return
        self._eof_waiter = self._loop.create_future()
        await self._eof_waiter

    # -- consumer side -------------------------------------------------------------------

    async def _wait(self) -> None:
        if self._exception is not None:
            raise self._exception
        if self.on_first_wait is not None:
            hook, self.on_first_wait = self.on_first_wait, None
            hook()
        if self._waiter is not None:
            raise RuntimeError("Another coroutine is already waiting for the request body")
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _take(self, n: int) -> bytes:
        """Remove up to ``n`` bytes (all when ``n < 0``) from the buffer."""
        buffer = self._buffer
        if n < 0 or n >= self._size:
            data = buffer.popleft() if len(buffer) == 1 else b"".join(buffer)
            buffer.clear()
        else:
            parts = []
            remaining = n
            while remaining:
                chunk = buffer[0]
                if len(chunk) <= remaining:
                    parts.append(buffer.popleft())
                    remaining -= len(chunk)
                else:
                    parts.append(chunk[:remaining])
                    buffer[0] = chunk[remaining:]
                    remaining = 0
            data = b"".join(parts)
        self._size -= len(data)
        if self._paused and self._size < self._low_water and self._flow is not None:
            self._paused = False
            self._flow.resume_reading()
        return data

    async def read(self, n: int = -1) -> bytes:
        """Read up to ``n`` bytes, or everything until the end when ``n < 0``."""
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        if n < 0:
            while not self._eof:
                await self._wait()
            return self._take(-1)
        while not self._buffer and not self._eof:
            await self._wait()
        return self._take(n)

    async def readany(self) -> bytes:
        if self._exception is not None:
            raise self._exception
        while not self._buffer and not self._eof:
            await self._wait()
        if not self._buffer:
            return b""
        data = self._buffer.popleft()
        self._size -= len(data)
        if self._paused and self._size < self._low_water and self._flow is not None:
            self._paused = False
            self._flow.resume_reading()
        return data

    async def readchunk(self) -> tuple[bytes, bool]:
        """A chunk as it arrived, and whether it ends a chunk of the transfer coding.

        Chunk boundaries of the wire are not kept, so the flag is ``False`` except at the end.
        """
        data = await self.readany()
        return data, not data

    async def readexactly(self, n: int) -> bytes:
        while self._size < n and not self._eof:
            await self._wait()
        if self._size < n:
            partial = self._take(-1)
            raise asyncio.IncompleteReadError(partial, n)
        return self._take(n)

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        if not separator:
            raise ValueError("Separator should be at least one-byte string")
        while True:
            joined = b"".join(self._buffer)
            index = joined.find(separator)
            if index >= 0:
                self._buffer.clear()
                self._buffer.append(joined)
                return self._take(index + len(separator))
            if self._eof:
                self._buffer.clear()
                if joined:
                    self._buffer.append(joined)
                return self._take(-1)
            if joined:
                self._buffer.clear()
                self._buffer.append(joined)
            await self._wait()

    async def readline(self) -> bytes:
        return await self.readuntil(b"\n")

    def read_nowait(self, n: int = -1) -> bytes:
        if self._exception is not None:
            raise self._exception
        if self._waiter is not None:
            raise RuntimeError("Called while some coroutine is waiting for incoming data.")
        return self._take(n) if self._buffer else b""

    # -- iteration -----------------------------------------------------------------------

    async def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        while True:
            data = await self.read(n)
            if not data:
                return
            yield data

    async def iter_any(self) -> AsyncIterator[bytes]:
        while True:
            data = await self.readany()
            if not data:
                return
            yield data

    async def iter_chunks(self) -> AsyncIterator[tuple[bytes, bool]]:
        while True:
            data, end = await self.readchunk()
            if not data:
                return
            yield data, end

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iter_lines()

    async def _iter_lines(self) -> AsyncIterator[bytes]:
        while True:
            line = await self.readline()
            if not line:
                return
            yield line


class EmptyStreamReader(StreamReader):
    """The body of a request that has none: always at its end, never waits."""

    def __init__(self) -> None:
        self._buffer = deque()
        self._size = 0
        self._eof = True
        self._exception = None
        self._eof_callbacks = []
        self._waiter = None
        self._eof_waiter = None
        self._paused = False
        self._flow = None
        self._low_water = self._high_water = 0  # (nothing is ever buffered)
        self.total_bytes = 0
        self.on_first_wait = None

    def __repr__(self) -> str:
        return "<EmptyStreamReader>"

    def feed_data(self, data: bytes) -> None:
        raise RuntimeError("The empty payload takes no data")

    def feed_eof(self) -> None:
        pass

    def set_exception(self, exc: BaseException) -> None:
        pass

    async def read(self, n: int = -1) -> bytes:
        return b""

    async def readany(self) -> bytes:
        return b""

    async def wait_eof(self) -> None:
        return None


EMPTY_PAYLOAD = EmptyStreamReader()
