"""ChunkReader / ChunkWriter against the real database (FerretDB or MONGODB_URI).

Files written by ChunkWriter must read back byte-for-byte through PyMongo's own GridFS (and
vice versa), ranges must be exact at every chunk boundary, and corruption must be reported,
never papered over.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from gridfs.asynchronous import AsyncGridFSBucket
from gridfs.errors import CorruptGridFile
from pymongo import AsyncMongoClient

from aioweb.integrations.gridfs.chunks import ChunkReader, ChunkWriter

CHUNK = 1000

Body = Callable[[Any], Awaitable[None]]


@pytest.fixture
def run(mongodb_uri: str, database_name: str) -> Callable[[Body], None]:
    def runner(body: Body) -> None:
        async def main() -> None:
            client: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_uri)
            try:
                await asyncio.wait_for(body(client[database_name]), 60)
            finally:
                await client.close()

        asyncio.run(main())

    return runner


async def read_all(reader: ChunkReader) -> bytes:
    parts = []
    try:
        while (piece := await reader.next()) is not None:
            parts.append(bytes(piece))
    finally:
        await reader.close()
    return b"".join(parts)


def test_writer_output_reads_back_with_pymongo(run: Callable[[Body], None]) -> None:
    data = os.urandom(CHUNK * 7 + 123)

    async def body(db: Any) -> None:
        writer = ChunkWriter(db.fs.files, db.fs.chunks, "w.bin", chunk_size=CHUNK,
                             metadata={"contentType": "x/y"}, batch_bytes=2500)  # fmt: skip
        for start in range(0, len(data), 777):
            await writer.write(data[start : start + 777])
        file_id = await writer.close()
        bucket = AsyncGridFSBucket(db)
        stream = await bucket.open_download_stream(file_id)
        assert await stream.read() == data
        assert stream.metadata == {"contentType": "x/y"}
        assert stream.chunk_size == CHUNK
        # the spec's indexes exist, so PyMongo and Motor will not try to create others
        names = [ix["key"] async for ix in await db.fs.chunks.list_indexes()]
        assert {"files_id": 1, "n": 1} in [dict(k) for k in names]

    run(body)


def test_empty_file(run: Callable[[Body], None]) -> None:
    async def body(db: Any) -> None:
        file_id = await ChunkWriter(db.fs.files, db.fs.chunks, "empty").close()
        doc = await db.fs.files.find_one({"_id": file_id})
        assert doc["length"] == 0
        assert await db.fs.chunks.count_documents({"files_id": file_id}) == 0
        reader = ChunkReader(db.fs.chunks, file_id, length=0, chunk_size=doc["chunkSize"])
        assert await read_all(reader) == b""

    run(body)


def test_every_range_across_chunk_boundaries(run: Callable[[Body], None]) -> None:
    data = os.urandom(CHUNK * 4 + 1)
    ranges = [(0, len(data)), (0, 1), (CHUNK - 1, CHUNK + 1), (CHUNK, 2 * CHUNK),
              (CHUNK + 5, 3 * CHUNK - 5), (len(data) - 1, len(data)), (2 * CHUNK, 2 * CHUNK),
              (7, 3 * CHUNK)]  # fmt: skip

    async def body(db: Any) -> None:
        bucket = AsyncGridFSBucket(db, chunk_size_bytes=CHUNK)
        file_id = await bucket.upload_from_stream("r.bin", data)
        for start, stop in ranges:
            reader = ChunkReader(db.fs.chunks, file_id, length=len(data), chunk_size=CHUNK,
                                 start=start, stop=stop, batch_bytes=CHUNK * 2)  # fmt: skip
            assert await read_all(reader) == data[start:stop], (start, stop)

    run(body)


def test_missing_chunk_is_reported(run: Callable[[Body], None]) -> None:
    data = os.urandom(CHUNK * 5)

    async def body(db: Any) -> None:
        bucket = AsyncGridFSBucket(db, chunk_size_bytes=CHUNK)
        file_id = await bucket.upload_from_stream("m.bin", data)
        await db.fs.chunks.delete_one({"files_id": file_id, "n": 2})
        reader = ChunkReader(db.fs.chunks, file_id, length=len(data), chunk_size=CHUNK)
        with pytest.raises(CorruptGridFile, match="missing chunk #2"):
            await read_all(reader)
        # a range that does not touch chunk 2 is still served
        reader = ChunkReader(db.fs.chunks, file_id, length=len(data), chunk_size=CHUNK,
                             start=3 * CHUNK, stop=5 * CHUNK)  # fmt: skip
        assert await read_all(reader) == data[3 * CHUNK :]
        # the last chunk missing is caught too (the cursor just ends early)
        await db.fs.chunks.delete_one({"files_id": file_id, "n": 4})
        reader = ChunkReader(db.fs.chunks, file_id, length=len(data), chunk_size=CHUNK,
                             start=3 * CHUNK)  # fmt: skip
        with pytest.raises(CorruptGridFile, match="missing chunk #4"):
            await read_all(reader)

    run(body)


def test_wrong_size_chunk_is_reported(run: Callable[[Body], None]) -> None:
    data = os.urandom(CHUNK * 3)

    async def body(db: Any) -> None:
        bucket = AsyncGridFSBucket(db, chunk_size_bytes=CHUNK)
        file_id = await bucket.upload_from_stream("s.bin", data)
        await db.fs.chunks.update_one({"files_id": file_id, "n": 1}, {"$set": {"data": b"xy"}})
        reader = ChunkReader(db.fs.chunks, file_id, length=len(data), chunk_size=CHUNK)
        with pytest.raises(CorruptGridFile, match=r"chunk #1 .* has 2 bytes, expected 1000"):
            await read_all(reader)

    run(body)


def test_abort_removes_inserted_chunks(run: Callable[[Body], None]) -> None:
    async def body(db: Any) -> None:
        writer = ChunkWriter(db.fs.files, db.fs.chunks, "a.bin", chunk_size=CHUNK,
                             batch_bytes=CHUNK)  # fmt: skip
        await writer.write(os.urandom(CHUNK * 5 + 10))  # inserts 5 chunks at once
        assert await db.fs.chunks.count_documents({"files_id": writer.file_id}) == 5
        await writer.abort()
        assert await db.fs.chunks.count_documents({"files_id": writer.file_id}) == 0
        assert await db.fs.files.count_documents({}) == 0

    run(body)


def test_writer_memory_is_one_batch_not_the_file(run: Callable[[Body], None]) -> None:
    """Chunks are inserted as each batch fills: the database sees them before close()."""

    async def body(db: Any) -> None:
        writer = ChunkWriter(db.fs.files, db.fs.chunks, "big.bin", chunk_size=CHUNK,
                             batch_bytes=4 * CHUNK)  # fmt: skip
        for _ in range(20):
            await writer.write(b"z" * CHUNK)
            assert len(writer._buffer) < CHUNK
            assert writer._pending_bytes < 4 * CHUNK
        assert await db.fs.chunks.count_documents({"files_id": writer.file_id}) == 20
        await writer.close()

    run(body)


def test_chunks_stored_out_of_order_are_read_in_order(run: Callable[[Body], None]) -> None:
    """Natural order is only a fast path: chunks inserted backwards still read correctly."""
    data = os.urandom(CHUNK * 4 + 5)

    async def body(db: Any) -> None:
        from bson import ObjectId

        file_id = ObjectId()
        pieces = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
        for n in reversed(range(len(pieces))):
            await db.fs.chunks.insert_one({"files_id": file_id, "n": n, "data": pieces[n]})
        for start, stop in [(0, len(data)), (CHUNK + 3, 3 * CHUNK + 7)]:
            reader = ChunkReader(db.fs.chunks, file_id, length=len(data), chunk_size=CHUNK,
                                 start=start, stop=stop)  # fmt: skip
            assert await read_all(reader) == data[start:stop]

    run(body)


def test_any_range_of_any_layout_reads_exactly(run: Callable[[Body], None]) -> None:
    """Property: for random file sizes, chunk sizes, batch sizes and ranges, the reader returns
    exactly ``data[start:stop]`` (one file per chunk size, written by ChunkWriter)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    async def body(db: Any) -> None:
        files: dict[tuple[int, int], tuple[Any, bytes]] = {}
        for chunk_size in (1, 7, 64, 1000):
            for length in (0, 1, 63, 64, 65, 2999):
                data = os.urandom(length)
                writer = ChunkWriter(db.fs.files, db.fs.chunks, f"p-{chunk_size}-{length}",
                                     chunk_size=chunk_size, batch_bytes=512)  # fmt: skip
                await writer.write(data)
                files[(chunk_size, length)] = (await writer.close(), data)
        loop = asyncio.get_running_loop()

        @settings(max_examples=60, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
        @given(
            key=st.sampled_from(sorted(files)),
            a=st.integers(0, 3000),
            b=st.integers(0, 3000),
            batch=st.sampled_from([1, 100, 5000]),
        )
        def check(key: tuple[int, int], a: int, b: int, batch: int) -> None:
            file_id, data = files[key]
            start, stop = sorted((min(a, len(data)), min(b, len(data))))
            reader = ChunkReader(db.fs.chunks, file_id, length=len(data), chunk_size=key[0],
                                 start=start, stop=stop, batch_bytes=batch)  # fmt: skip
            future = asyncio.run_coroutine_threadsafe(read_all(reader), loop)
            assert future.result(30) == data[start:stop]

        # hypothesis drives synchronously: run it in a thread while this loop serves the reads
        await asyncio.to_thread(check)

    run(body)
