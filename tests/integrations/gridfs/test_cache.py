"""The small-file cache and the look-up coalescing of GridFSHandler, against the real database.

What must hold: a cached file never outlives its files document (delete -> 404, re-upload
under the same name -> the new bytes on the very next request), the cache stays within its
byte bound, ranges and 304s behave exactly as uncached, and sharing a files query between
concurrent requests never hands a request an answer older than the request itself.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import threading
import time
from typing import Any

import httpx
import pytest
from gridfs import GridFSBucket
from gridfs_server import HANDLER_KEY

from aioweb.integrations.gridfs import ChunkCache, GridFSHandler
from aioweb.integrations.gridfs.cache import ENTRY_OVERHEAD
from aioweb.integrations.gridfs.coalesce import LookupCoalescer

pytestmark = pytest.mark.timeout(90)

CHUNK = 1000


def upload(db: Any, name: str, data: bytes, **kwargs: Any) -> Any:
    return GridFSBucket(db, chunk_size_bytes=CHUNK).upload_from_stream(name, data, **kwargs)


def handler_of(server: Any) -> GridFSHandler:
    return server.app[HANDLER_KEY]


def test_delete_and_reupload_under_the_same_name_serve_new_content(
    sync_db: Any, gridfs_server: Any
) -> None:
    first = os.urandom(3 * CHUNK + 7)
    file_id = upload(sync_db, "logo.png", first)
    server = gridfs_server()
    url = server.base_url + "/fs/logo.png"
    assert httpx.get(url).content == first
    assert httpx.get(url).content == first  # now from the cache
    assert len(handler_of(server).cache or ()) == 1

    GridFSBucket(sync_db).delete(file_id)
    assert httpx.get(url).status_code == 404  # the files query still runs every time

    second = os.urandom(2 * CHUNK + 1)
    upload(sync_db, "logo.png", second)
    r = httpx.get(url)
    assert r.status_code == 200 and r.content == second

    # a new revision without a deletion is seen at once too
    third = os.urandom(CHUNK)
    time.sleep(0.005)  # a later uploadDate (milliseconds)
    upload(sync_db, "logo.png", third)
    assert httpx.get(url).content == third


def test_same_id_recreated_with_new_content_is_not_served_from_cache(
    sync_db: Any, gridfs_server: Any
) -> None:
    """A hand-written upload may reuse an ``_id``; the new uploadDate makes it a new key."""
    bucket = GridFSBucket(sync_db, chunk_size_bytes=CHUNK)
    bucket.upload_from_stream_with_id("fixed-id", "same.bin", b"old content")
    url = gridfs_server().base_url + "/fs/same.bin"
    assert httpx.get(url).content == b"old content"
    bucket.delete("fixed-id")
    time.sleep(0.005)
    bucket.upload_from_stream_with_id("fixed-id", "same.bin", b"new content")
    assert httpx.get(url).content == b"new content"


def test_cache_hit_reads_no_chunks_and_off_switch_reads_them(
    sync_db: Any, gridfs_server: Any
) -> None:
    data = os.urandom(2 * CHUNK + 5)
    file_id = upload(sync_db, "hit.bin", data)
    cached = gridfs_server().base_url + "/fs/hit.bin"
    uncached = gridfs_server(cache_bytes=0).base_url + "/fs/hit.bin"
    assert httpx.get(cached).content == data
    assert httpx.get(uncached).content == data
    # Remove the chunks behind GridFS's back: only the cached handler can still answer.
    sync_db.fs.chunks.delete_many({"files_id": file_id})
    assert httpx.get(cached).content == data
    assert httpx.get(uncached, timeout=10).status_code == 500


def test_cache_stays_within_its_byte_bound_and_evicts_least_recent(
    sync_db: Any, gridfs_server: Any
) -> None:
    size = 2 * CHUNK
    bound = 3 * (size + ENTRY_OVERHEAD) + 10  # room for three files, not four
    contents = {f"f{i}.bin": os.urandom(size) for i in range(8)}
    for name, data in contents.items():
        upload(sync_db, name, data)
    server = gridfs_server(cache_bytes=bound, cache_file_bytes=size)
    cache = handler_of(server).cache
    assert cache is not None
    with httpx.Client(base_url=server.base_url) as client:
        for name, data in contents.items():
            assert client.get(f"/fs/{name}").content == data
            assert cache.size <= bound
        assert len(cache) == 3
        # f5..f7 are cached; touching f5 makes f6 the least recent, evicted by f0
        assert client.get("/fs/f5.bin").content == contents["f5.bin"]
        assert client.get("/fs/f0.bin").content == contents["f0.bin"]
        keys = {key[1] for key in cache._entries}
        names = {doc["_id"]: doc["filename"] for doc in sync_db.fs.files.find()}
        assert {names[k] for k in keys} == {"f5.bin", "f7.bin", "f0.bin"}
        assert cache.size <= bound


def test_files_over_the_per_file_limit_are_not_cached(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "small.bin", os.urandom(CHUNK))
    upload(sync_db, "large.bin", os.urandom(5 * CHUNK))
    server = gridfs_server(cache_file_bytes=4 * CHUNK)
    cache = handler_of(server).cache
    assert cache is not None
    assert httpx.get(server.base_url + "/fs/large.bin").status_code == 200
    assert len(cache) == 0
    assert httpx.get(server.base_url + "/fs/small.bin").status_code == 200
    assert len(cache) == 1


def test_ranges_conditionals_and_head_from_the_cache(sync_db: Any, gridfs_server: Any) -> None:
    data = os.urandom(4 * CHUNK + 321)
    upload(sync_db, "r.bin", data)
    server = gridfs_server()
    url = server.base_url + "/fs/r.bin"
    cache = handler_of(server).cache
    assert cache is not None

    # A range does not fill the cache (it reads only the chunks it covers) ...
    r = httpx.get(url, headers={"Range": "bytes=1500-2600"})
    assert r.status_code == 206 and r.content == data[1500:2601]
    assert len(cache) == 0
    # ... a whole GET does, and from then on ranges are cut from memory.
    whole = httpx.get(url)
    assert whole.content == data and len(cache) == 1
    r = httpx.get(url, headers={"Range": "bytes=1500-2600"})
    assert r.status_code == 206 and r.content == data[1500:2601]
    assert r.headers["content-range"] == f"bytes 1500-2600/{len(data)}"
    r = httpx.get(url, headers={"Range": "bytes=-10"})
    assert r.content == data[-10:]
    r = httpx.get(url, headers={"Range": "bytes=0-0,4000-4100"})
    assert r.status_code == 206
    assert r.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert data[0:1] in r.content and data[4000:4101] in r.content
    assert httpx.get(url, headers={"Range": f"bytes={len(data)}-"}).status_code == 416

    etag = whole.headers["etag"]
    r = httpx.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b""
    r = httpx.head(url)
    assert r.status_code == 200 and r.headers["content-length"] == str(len(data))
    assert r.headers["etag"] == etag


def test_corrupt_file_is_never_cached(sync_db: Any, gridfs_server: Any) -> None:
    file_id = upload(sync_db, "bad.bin", os.urandom(4 * CHUNK))
    sync_db.fs.chunks.update_one({"files_id": file_id, "n": 2}, {"$set": {"data": b"x"}})
    server = gridfs_server()
    with pytest.raises(httpx.HTTPError):  # short body: the connection is closed mid-file
        httpx.get(server.base_url + "/fs/bad.bin", timeout=10)
    assert len(handler_of(server).cache or ()) == 0


def test_cache_sizes_are_validated() -> None:
    with pytest.raises(ValueError):
        ChunkCache(-1, 10)
    cache = ChunkCache(ENTRY_OVERHEAD + 100, 10_000)
    assert cache.max_file_bytes == 100  # never larger than the whole cache


# -- coalescing ---------------------------------------------------------------------------


def test_concurrent_readers_always_see_a_completed_upload(sync_db: Any, gridfs_server: Any) -> None:
    """Read-your-writes under load: while 24 clients keep the name's files query in flight,
    every GET sent after an upload completed must get that upload (or a newer one)."""
    # Other files make each files query slower (FerretDB scans), widening the window in
    # which a query sent before an upload is still in flight when the next GET arrives.
    sync_db.fs.files.insert_many(
        [{"filename": f"other-{i}", "length": 0, "chunkSize": CHUNK} for i in range(3000)]
    )
    upload(sync_db, "hot.txt", b"version 0")
    server = gridfs_server()
    url = server.base_url + "/fs/hot.txt"
    stop = threading.Event()
    errors: list[str] = []

    async def hammer() -> None:
        async with httpx.AsyncClient() as client:
            while not stop.is_set():
                r = await client.get(url)
                if r.status_code != 200 or not r.content.startswith(b"version "):
                    errors.append(f"{r.status_code} {r.content[:40]!r}")

    def background() -> None:
        async def main() -> None:
            await asyncio.gather(*(hammer() for _ in range(24)))

        asyncio.run(main())

    thread = threading.Thread(target=background, daemon=True)
    thread.start()
    try:
        with httpx.Client() as client:
            for version in range(1, 21):
                upload(sync_db, "hot.txt", f"version {version}".encode())
                got = client.get(url).content
                assert int(got.split()[1]) >= version, (version, got)
    finally:
        stop.set()
        thread.join(30)
    assert not errors, errors[:5]


def test_custom_lookup_hook_is_not_coalesced(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "a.txt", b"A")

    def by_name(bucket: Any, filename: str, request: Any) -> Any:
        return bucket.open_download_stream_by_name(filename)

    server = gridfs_server(get_gridfs_file=by_name)
    assert handler_of(server)._coalescer is None
    assert httpx.get(server.base_url + "/fs/a.txt").content == b"A"


def test_extra_headers_hook_gets_a_driver_gridout(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "meta.txt", b"m", metadata={"owner": "ann"})
    seen: list[Any] = []

    def extra(response: Any, gridout: Any) -> None:
        seen.append(gridout)
        response.headers["X-Owner"] = gridout.metadata["owner"]
        gridout.metadata["owner"] = "changed"  # a private copy: other requests unaffected

    for motor in (False, True):
        seen.clear()
        url = gridfs_server(set_extra_headers=extra, motor=motor).base_url + "/fs/meta.txt"
        assert httpx.get(url).headers["x-owner"] == "ann"
        assert httpx.get(url).headers["x-owner"] == "ann"
        kind = type(seen[0])
        assert kind.__name__ == ("AsyncIOMotorGridOut" if motor else "AsyncGridOut")
        assert seen[0].filename == "meta.txt" and seen[0].length == 1


class _Versioned:
    """A stand-in database: a version number that writers bump; ``fetch`` reads it after a
    delay, recording when each query started."""

    def __init__(self) -> None:
        self.version = 0
        self.queries = 0

    async def fetch(self, name: str) -> int:
        self.queries += 1
        seen = self.version  # the query "executes" when it is sent
        await asyncio.sleep(0.01)
        return seen


def test_coalescer_never_answers_with_a_query_sent_before_the_caller_arrived() -> None:
    async def main() -> None:
        db = _Versioned()
        coalescer = LookupCoalescer(db.fetch)
        first = asyncio.ensure_future(coalescer.get(("k",)))
        await asyncio.sleep(0.002)  # first query in flight, it read version 0
        db.version = 1  # a write completes; everyone arriving now must see it
        later = [asyncio.ensure_future(coalescer.get(("k",))) for _ in range(20)]
        assert await first == 0
        assert await asyncio.gather(*later) == [1] * 20
        assert db.queries == 2  # 21 callers, two queries
        assert coalescer.in_flight() == 0

    asyncio.run(main())


def test_coalescer_errors_reach_every_waiter_and_cancelling_one_spares_the_rest() -> None:
    async def main() -> None:
        calls = 0

        async def fetch(name: str) -> str:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.01)
            if name == "missing":
                raise LookupError(name)
            return name

        coalescer = LookupCoalescer(fetch)
        waiters = [asyncio.ensure_future(coalescer.get(("missing",))) for _ in range(5)]
        results = await asyncio.gather(*waiters, return_exceptions=True)
        assert all(isinstance(r, LookupError) for r in results)

        a = asyncio.ensure_future(coalescer.get(("x",)))
        b = asyncio.ensure_future(coalescer.get(("x",)))
        await asyncio.sleep(0)
        a.cancel()
        assert await b == "x"
        with pytest.raises(asyncio.CancelledError):
            await a
        await asyncio.sleep(0.05)
        assert coalescer.in_flight() == 0

    asyncio.run(main())


def test_etag_is_unchanged_by_the_view(sync_db: Any, gridfs_server: Any) -> None:
    """The light files-document view and the driver GridOut produce the same validators."""
    upload(sync_db, "same.txt", b"x" * 10)

    def extra(response: Any, gridout: Any) -> None:
        pass

    plain = httpx.get(gridfs_server().base_url + "/fs/same.txt")
    hooked = httpx.get(gridfs_server(set_extra_headers=extra).base_url + "/fs/same.txt")
    for name in ("etag", "last-modified", "content-type", "cache-control", "content-length"):
        assert plain.headers[name] == hooked.headers[name], name
    assert datetime.datetime.strptime(plain.headers["last-modified"], "%a, %d %b %Y %H:%M:%S GMT")


def test_coalescer_cancels_a_query_nobody_waits_for() -> None:
    """A shutting-down server cancels its requests; their shared queries must go with them
    (a query left running would outlive the server's connection pool)."""

    async def main() -> None:
        started: list[str] = []
        cancelled: list[str] = []

        async def fetch(name: str) -> str:
            started.append(name)
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                cancelled.append(name)
                raise
            return name

        coalescer = LookupCoalescer(fetch)
        leader = asyncio.ensure_future(coalescer.get(("k",)))
        await asyncio.sleep(0.01)  # the leader's query is in flight
        queued = [asyncio.ensure_future(coalescer.get(("k",))) for _ in range(3)]
        await asyncio.sleep(0.01)
        for task in (leader, *queued):
            task.cancel()
        await asyncio.gather(leader, *queued, return_exceptions=True)
        await asyncio.sleep(0.01)
        assert started == ["k"]  # the queued round was dropped, never sent
        assert cancelled == ["k"]
        assert coalescer.in_flight() == 0 and not coalescer._queued
        # and the key works again afterwards
        fast = LookupCoalescer(lambda name: asyncio.sleep(0, name))
        assert await fast.get(("x",)) == "x"

    asyncio.run(main())
