"""FileResponse and the GridFS handler answer the same request matrix the same way.

Both carry out one plan (``aioweb.http.representation``); this runs conditional and range
headers against a file on disk and the same bytes in GridFS, and asserts the same status and
the same set of header fields (values that are the representation's own — validators, dates,
boundaries — naturally differ). Break-on-purpose: giving either server its own 304/412/416
rule again (e.g. GridFS's old ``_bare`` 412, or FileResponse keeping Content-Type on a 416)
makes a row differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gridfs import GridFSBucket
from gridfs_server import ServerThread

from aioweb import web

DATA = bytes(range(256)) * 40  # 10,240 bytes: several GridFS chunks
OLD = "Sun, 06 Nov 1994 08:49:37 GMT"
# Fields one server sends for reasons of its own, not decided by the plan.
# What both servers are told to send with the file (GridFS: metadata and content_disposition).
FIELDS = {
    "Content-Type": "application/x-test",
    "Content-Disposition": 'inline; filename="data.bin"',
}
OWN = {"date", "server", "cache-control", "expires", "connection", "keep-alive"}

# (name, method, headers): "{etag}" / "{lm}" are the server's own validators.
MATRIX: list[tuple[str, str, dict[str, str]]] = [
    ("plain", "GET", {}),
    ("head", "HEAD", {}),
    ("inm-match", "GET", {"If-None-Match": "{etag}"}),
    ("inm-star", "GET", {"If-None-Match": "*"}),
    ("inm-other", "GET", {"If-None-Match": '"other"'}),
    ("im-fail", "GET", {"If-Match": '"other"'}),
    ("im-ok", "GET", {"If-Match": "{etag}"}),
    ("ims-same", "GET", {"If-Modified-Since": "{lm}"}),
    ("ims-old", "GET", {"If-Modified-Since": OLD}),
    ("ius-old", "GET", {"If-Unmodified-Since": OLD}),
    ("range", "GET", {"Range": "bytes=0-9"}),
    ("range-head", "HEAD", {"Range": "bytes=-100"}),
    ("ranges", "GET", {"Range": "bytes=0-1,5000-5009"}),
    ("range-416", "GET", {"Range": "bytes=20000-"}),
    ("range-bad", "GET", {"Range": "bytes=9-1"}),
    ("if-range-etag", "GET", {"Range": "bytes=1-2", "If-Range": "{etag}"}),
    ("if-range-stale", "GET", {"Range": "bytes=1-2", "If-Range": '"stale"'}),
    ("if-range-date", "GET", {"Range": "bytes=1-2", "If-Range": "{lm}"}),
    ("inm-and-range", "GET", {"If-None-Match": "{etag}", "Range": "bytes=0-1"}),
    ("im-fail-and-range", "GET", {"If-Match": '"x"', "Range": "bytes=0-1"}),
    ("inm-post-style", "HEAD", {"If-None-Match": "{etag}"}),
]


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)

    async def handle(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path, headers=dict(FIELDS))

    async def make_app() -> web.Application:
        app = web.Application()
        app.router.add_get("/f", handle)
        return app

    server = ServerThread(make_app)
    url = server.start()
    yield f"{url}/f"
    server.stop()


def _answer(client: httpx.Client, url: str, method: str, headers: dict[str, str], own: Any) -> Any:
    filled = {k: v.format(etag=own["etag"], lm=own["last-modified"]) for k, v in headers.items()}
    r = client.request(method, url, headers=filled)
    names = {k.lower() for k in r.headers} - OWN
    fixed = {
        k: r.headers.get(k)
        for k in ("content-length", "content-range", "accept-ranges", "content-disposition")
    }
    return r.status_code, sorted(names), fixed, len(r.content)


def test_same_status_and_fields(sync_db: Any, gridfs_server: Any, file_server: str) -> None:
    GridFSBucket(sync_db, chunk_size_bytes=4096).upload_from_stream(
        "data.bin", DATA, metadata={"contentType": "application/x-test"}
    )
    grid_url = gridfs_server(content_disposition="inline").base_url + "/fs/data.bin"
    with httpx.Client(timeout=10) as client:
        own_file = client.get(file_server).headers
        own_grid = client.get(grid_url).headers
        rows = []
        for name, method, headers in MATRIX:
            a = _answer(client, file_server, method, headers, own_file)
            b = _answer(client, grid_url, method, headers, own_grid)
            rows.append((name, a, b))
    different = [(name, a, b) for name, a, b in rows if a != b]
    assert different == [], "\n".join(f"{n}:\n  file  {a}\n  grid  {b}" for n, a, b in different)
    statuses = {name: a[0] for name, a, _ in rows}
    assert statuses["inm-match"] == statuses["ims-same"] == statuses["inm-and-range"] == 304
    assert statuses["im-fail"] == statuses["ius-old"] == statuses["im-fail-and-range"] == 412
    assert statuses["range"] == statuses["ranges"] == statuses["if-range-date"] == 206
    assert statuses["range-416"] == 416
    assert statuses["if-range-stale"] == statuses["range-bad"] == 200
