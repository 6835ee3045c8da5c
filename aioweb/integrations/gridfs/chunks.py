"""Reading and writing GridFS chunk documents directly, with bounded memory.

GridFS stores a file as one document in ``<bucket>.files`` (``_id``, ``length``, ``chunkSize``,
``uploadDate``, ``filename``, ``metadata``) and ``ceil(length / chunkSize)`` documents in
``<bucket>.chunks`` (``files_id``, ``n``, ``data``). Working on those collections directly,
rather than through ``GridOut``/``GridIn``, gives three things the HTTP layer needs:

* **Seeking by chunk.** A byte range ``[start, stop)`` is served by one query for chunks
  ``start // chunkSize`` to ``(stop - 1) // chunkSize``; nothing before the range is read.
* **Bounded memory both ways.** Reads use a cursor batch of about ``batch_bytes`` (1 MiB by
  default) instead of the driver's default first batch of 101 chunks (~25 MiB at the default
  chunk size); writes insert chunks in batches of about ``batch_bytes`` instead of PyMongo's
  ``GridIn``, which keeps up to 48 MB of chunks in memory per upload before inserting them.
* **Integrity checks on every chunk.** A missing chunk, a chunk out of order or one of the
  wrong size raises ``CorruptGridFile`` naming the file and the chunk, instead of sending
  shifted or short content.

The document layout is exactly the GridFS specification's, so files written here are read by
any driver and vice versa.
"""

from __future__ import annotations

import datetime
from typing import Any, Final

from bson import ObjectId
from gridfs.errors import CorruptGridFile

from aioweb.integrations.gridfs.backend import maybe_await

__all__ = ["DEFAULT_BATCH_BYTES", "DEFAULT_CHUNK_SIZE", "ChunkReader", "ChunkWriter"]

DEFAULT_CHUNK_SIZE: Final = 255 * 1024  # the GridFS default; fits 64 chunks in a 16 MiB batch
DEFAULT_BATCH_BYTES: Final = 1024 * 1024


def chunk_count(length: int, chunk_size: int) -> int:
    return -(-length // chunk_size) if length > 0 else 0


class ChunkReader:
    """The bytes ``[start, stop)`` of one stored file, one chunk (or part of one) at a time.

    ``next()`` returns the next piece, or None at the end. Call ``close()`` when done (also
    after an error or a client disconnect): it releases the server-side cursor at once instead
    of leaving it to time out.
    """

    __slots__ = (
        "_batch",
        "_chunk_size",
        "_chunks",
        "_cursor",
        "_expected",
        "_file_id",
        "_first",
        "_last",
        "_length",
        "_sorted",
        "_start",
        "_stop",
    )  # fmt: skip

    def __init__(
        self,
        chunks: Any,
        file_id: Any,
        *,
        length: int,
        chunk_size: int,
        start: int = 0,
        stop: int | None = None,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
    ) -> None:
        stop = length if stop is None else stop
        if not 0 <= start <= stop <= length:
            raise ValueError(f"range [{start}, {stop}) outside a {length}-byte file")
        if length > 0 and chunk_size <= 0:
            raise CorruptGridFile(f"file {file_id!r} has an invalid chunkSize {chunk_size!r}")
        self._chunks = chunks
        self._file_id = file_id
        self._length = length
        self._chunk_size = chunk_size
        self._start = start
        self._stop = stop
        self._first = start // chunk_size if chunk_size > 0 else 0
        self._last = (stop - 1) // chunk_size if stop > start else self._first - 1
        self._expected = self._first
        self._batch = max(1, batch_bytes // max(chunk_size, 1))
        self._cursor: Any = None
        self._sorted = False

    def _open(self, n: int) -> Any:
        """A cursor over chunks ``n`` to ``last`` of the file.

        ``limit`` lets the server stop as soon as it has them all (no trailing scan, no
        getMore/killCursors round trip for a range that fits in one batch). Without ``sort``
        the chunks come in index order on MongoDB and in insertion order on FerretDB, both
        ascending for any file a driver wrote; and the server can stream them, where a sorted
        query makes FerretDB (which uses no secondary index) read and sort every matching
        chunk before returning the first. If a chunk ever arrives out of order, ``next()``
        re-queries the rest with ``sort``, so the order is always verified, never assumed.
        """
        return self._chunks.find(
            {"files_id": self._file_id, "n": {"$gte": n, "$lte": self._last}},
            {"_id": 0, "n": 1, "data": 1},
            sort=[("n", 1)] if self._sorted else None,
            batch_size=self._batch,
            limit=self._last - n + 1,
        )

    async def next(self) -> bytes | memoryview | None:
        """The next piece of the range: whole chunks, trimmed at the range's two ends."""
        n = self._expected
        if n > self._last:
            return None
        while True:
            if self._cursor is None:
                self._cursor = self._open(n)
            try:
                doc = await anext(self._cursor)
            except StopAsyncIteration:
                doc = None
            if doc is not None and doc.get("n") == n:
                break
            if self._sorted:
                raise CorruptGridFile(f"missing chunk #{n} of GridFS file {self._file_id!r}")
            # Out of order, or missing: ask again for the rest, in order this time.
            await self.close()
            self._sorted = True
        data = doc.get("data")
        size = self._chunk_size
        base = n * size
        want = min(size, self._length - base)
        if not isinstance(data, bytes) or len(data) != want:
            got = len(data) if isinstance(data, bytes) else type(data).__name__
            raise CorruptGridFile(
                f"chunk #{n} of GridFS file {self._file_id!r} has {got} bytes, expected {want}"
            )
        self._expected = n + 1
        if n == self._last:
            await self.close()  # the server has nothing more to send for this range
        lo = self._start - base if n == self._first else 0
        hi = self._stop - base if n == self._last else want
        if lo == 0 and hi == want:
            return data
        return memoryview(data)[lo:hi]

    async def close(self) -> None:
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            await maybe_await(cursor.close())


class ChunkWriter:
    """Write one new GridFS file piece by piece; the files document is inserted last.

    Until ``close()`` inserts the files document the file is invisible to readers, so a
    half-written upload can never be served. ``abort()`` deletes the chunks written so far.
    Memory held: at most one chunk plus ``batch_bytes`` of chunks waiting to be inserted.
    """

    def __init__(
        self,
        files: Any,
        chunks: Any,
        filename: str,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        metadata: dict[str, Any] | None = None,
        file_id: Any = None,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
    ) -> None:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self._files = files
        self._chunks = chunks
        self.filename = filename
        self.file_id = ObjectId() if file_id is None else file_id
        self.chunk_size = chunk_size
        self.metadata = metadata
        self.length = 0
        self._batch_bytes = max(batch_bytes, chunk_size)
        self._buffer = bytearray()
        self._pending: list[dict[str, Any]] = []
        self._pending_bytes = 0
        self._n = 0
        self._started = False
        self.closed = False

    async def _ensure_indexes(self) -> None:
        """Create the two indexes the GridFS spec requires, when the bucket is new.

        Like the drivers, check with a cheap query whether the files collection is empty and only
        then create the indexes (creating an existing index is a no-op, but costs round trips).
        """
        if await self._files.find_one({}, {"_id": 1}) is not None:
            return
        await self._files.create_index([("filename", 1), ("uploadDate", 1)])
        await self._chunks.create_index([("files_id", 1), ("n", 1)], unique=True)

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.closed:
            raise ValueError("write to a closed ChunkWriter")
        if not self._started:
            self._started = True
            await self._ensure_indexes()
        self.length += len(data)
        buffer = self._buffer
        buffer += data
        size = self.chunk_size
        if len(buffer) < size:
            return
        whole = len(buffer) - len(buffer) % size
        view = memoryview(buffer)
        try:
            for offset in range(0, whole, size):
                self._add_chunk(bytes(view[offset : offset + size]))
        finally:
            view.release()
        del buffer[:whole]
        if self._pending_bytes >= self._batch_bytes:
            await self._flush()

    def _add_chunk(self, data: bytes) -> None:
        self._pending.append({"files_id": self.file_id, "n": self._n, "data": data})
        self._pending_bytes += len(data)
        self._n += 1

    async def _flush(self) -> None:
        if self._pending:
            pending, self._pending, self._pending_bytes = self._pending, [], 0
            await self._chunks.insert_many(pending, ordered=True)

    async def close(self) -> Any:
        """Write the last chunk and the files document; returns the new file's ``_id``."""
        if self.closed:
            return self.file_id
        if not self._started:
            self._started = True
            await self._ensure_indexes()
        if self._buffer:
            self._add_chunk(bytes(self._buffer))
            self._buffer = bytearray()
        await self._flush()
        now = datetime.datetime.now(datetime.UTC)
        document: dict[str, Any] = {
            "_id": self.file_id,
            "length": self.length,
            "chunkSize": self.chunk_size,
            # BSON dates have millisecond resolution; truncate now so the value we return
            # equals the value stored.
            "uploadDate": now.replace(microsecond=now.microsecond // 1000 * 1000),
            "filename": self.filename,
        }
        if self.metadata is not None:
            document["metadata"] = self.metadata
        await self._files.insert_one(document)
        self.closed = True
        return self.file_id

    async def abort(self) -> None:
        """Forget the buffered data and delete every chunk already inserted."""
        self.closed = True
        self._buffer = bytearray()
        self._pending = []
        if self._n > 0 or self._started:
            await self._chunks.delete_many({"files_id": self.file_id})
