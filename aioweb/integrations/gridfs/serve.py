"""Sending a planned GridFS answer: the body from the cache or from chunks, ranges included.

The plan (status, fields, segments) comes from ``aioweb.http.representation``; this module
only moves bytes, with the connection's back-pressure, and ends the connection when a chunk
turns out corrupt after the head has gone.
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import PyMongoError

from aioweb.framework.request import Request
from aioweb.framework.response import StreamResponse
from aioweb.http.ranges import ByteRange
from aioweb.http.representation import Plan
from aioweb.integrations.gridfs.backend import maybe_await
from aioweb.integrations.gridfs.cache import ChunkCache
from aioweb.integrations.gridfs.chunks import ChunkReader
from aioweb.server.log import gridfs_logger as log

__all__ = ["close_gridout", "send_plan"]


async def send_plan(
    request: Request,
    response: StreamResponse,
    plan: Plan,
    *,
    collection: Any,
    file_id: Any,
    length: int,
    chunk_size: int,
    batch_bytes: int,
    cache: ChunkCache | None,
    cache_key: Any,
) -> None:
    """Send ``plan``'s body: the whole file or its ranges, framed as the plan says.

    The first piece is read before the head is sent, so a file whose first chunk is missing
    gets a clean 500 rather than a 200 with a broken body.
    """
    pieces = list(plan.ranges) if plan.ranges is not None else [ByteRange(0, length)]
    framing = plan.segments if plan.ranges is not None and len(plan.ranges) > 1 else None
    if cache is not None and cache_key is not None:
        data = cache.get(cache_key)
        if data is not None:
            await send_cached(request, response, data, pieces, framing)
            return
    readers = [
        ChunkReader(
            collection,
            file_id,
            length=length,
            chunk_size=chunk_size,
            start=r.start,
            stop=r.stop,
            batch_bytes=batch_bytes,
        )
        for r in pieces
    ]
    # A whole small file is kept as it streams by and cached once every chunk checked out;
    # a range never fills the cache (it reads only the chunks it covers).
    tee = None
    if cache is not None and cache_key is not None and plan.ranges is None:
        tee = _Tee(cache, cache_key, length)
    try:
        first = await readers[0].next() if pieces[0].length else None
        await response.prepare(request)
        if framing is None:
            await _send(response, readers[0], first, tee)
        else:
            index = 0
            for segment in framing:
                if isinstance(segment, bytes):
                    await response.write(segment)
                else:
                    await _send(response, readers[index], first if index == 0 else None)
                    index += 1
        await response.write_eof()
    except PyMongoError:  # CorruptGridFile, or the database going away mid-file
        if not response.prepared:
            raise
        # Too late for a status code: end the connection so the client sees a short body
        # rather than waiting for bytes that will not come.
        log.exception("GridFS file %r failed while being sent", file_id)
        _abort_connection(request)
    finally:
        for reader in readers:
            await reader.close()


async def send_cached(
    request: Request,
    response: StreamResponse,
    data: bytes,
    pieces: list[ByteRange],
    framing: tuple[bytes | ByteRange, ...] | None,
) -> None:
    """The body (or the ranges) of a cached file: no database round trip at all."""
    await response.prepare(request)
    if framing is None:
        piece = pieces[0]
        if piece.length:
            await response.write(
                data if piece.length == len(data) else memoryview(data)[piece.start : piece.stop]
            )
    else:
        index = 0
        for segment in framing:
            if isinstance(segment, bytes):
                await response.write(segment)
            else:
                piece = pieces[index]
                await response.write(memoryview(data)[piece.start : piece.stop])
                index += 1
    await response.write_eof()


class _Tee:
    """Collects a small file's pieces as they are sent; caches the file once all ``length``
    bytes have been read (every piece passed ``ChunkReader``'s checks), before the last
    piece is written, so a client that has the whole body can rely on the cache having it."""

    __slots__ = ("_cache", "_key", "_length", "_pieces", "_size")

    def __init__(self, cache: ChunkCache, key: Any, length: int) -> None:
        self._cache = cache
        self._key = key
        self._length = length
        self._pieces: list[Any] = []
        self._size = 0

    def add(self, piece: Any) -> None:
        self._pieces.append(piece)
        self._size += len(piece)
        if self._size == self._length:
            self._cache.put(self._key, b"".join(self._pieces))
            self._pieces = []


async def _send(
    response: StreamResponse, reader: ChunkReader, first: Any, tee: _Tee | None = None
) -> None:
    piece = first if first is not None else await reader.next()
    while piece is not None:
        if tee is not None:
            tee.add(piece)
        await response.write(piece)
        piece = await reader.next()


async def close_gridout(gridout: Any) -> None:
    close = getattr(gridout, "close", None)
    if close is not None:
        try:
            await maybe_await(close())
        except Exception:  # closing only releases a cursor; never mask the real outcome
            log.debug("closing a GridOut failed", exc_info=True)


def _abort_connection(request: Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()
