"""GridFSHandler's HTTP semantics on a real socket: httpx for most, curl for ranges and
conditional requests (an independent HTTP implementation reading our responses)."""

from __future__ import annotations

import datetime
import email.utils
import os
import re
import shutil
import subprocess
import time
from typing import Any

import httpx
import pytest
from bson import ObjectId
from gridfs import GridFSBucket

from aioweb import web
from aioweb.integrations.gridfs import AIOHTTPGridFS, GridFSHandler

CHUNK = 1000
DATA = os.urandom(CHUNK * 6 + 321)
CURL = shutil.which("curl")

pytestmark = pytest.mark.timeout(60)


def upload(db: Any, name: str, data: bytes = DATA, **kwargs: Any) -> Any:
    return GridFSBucket(db, chunk_size_bytes=CHUNK).upload_from_stream(name, data, **kwargs)


def curl(*args: str) -> tuple[int, dict[str, str], bytes]:
    """Run curl; return (status, headers of the last response, body)."""
    assert CURL is not None, "curl is not installed: scripts/install-system-deps.sh"
    out = subprocess.run(
        [CURL, "-sS", "--max-time", "20", "-D", "-", *args], capture_output=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    raw = out.stdout
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


# -- basic GET / HEAD / errors ---------------------------------------------------------


def test_get_serves_the_file_with_validators(sync_db: Any, gridfs_server: Any) -> None:
    file_id = upload(sync_db, "photo.png")
    url = gridfs_server().base_url
    r = httpx.get(f"{url}/fs/photo.png")
    assert r.status_code == 200
    assert r.content == DATA
    assert r.headers["content-length"] == str(len(DATA))
    assert r.headers["content-type"] == "image/png"
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["cache-control"] == "public"
    etag = r.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{24}-[0-9a-f]+-[0-9a-f]+"', etag)
    assert str(file_id) in etag
    doc = sync_db.fs.files.find_one({"_id": file_id})
    modified = email.utils.parsedate_to_datetime(r.headers["last-modified"])
    assert modified == doc["uploadDate"].replace(microsecond=0, tzinfo=datetime.UTC)


def test_head_sends_the_headers_only(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "a.bin")
    url = gridfs_server().base_url
    get = httpx.get(f"{url}/fs/a.bin")
    head = httpx.head(f"{url}/fs/a.bin")
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-length", "etag", "last-modified", "content-type", "accept-ranges"):
        assert head.headers[name] == get.headers[name]
    ranged = httpx.head(f"{url}/fs/a.bin", headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 10-19/{len(DATA)}"
    assert ranged.headers["content-length"] == "10"


def test_other_methods_get_405_with_allow(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "a.bin")
    server = gridfs_server()
    # add_routes registers GET and HEAD only; the handler itself refuses others too, for
    # users who route it with "*".
    app = web.Application()
    r = httpx.post(f"{server.base_url}/fs/a.bin")
    assert r.status_code == 405
    assert set(r.headers["allow"].split(",")) == {"GET", "HEAD"}
    del app


def test_handler_refuses_other_methods_itself(sync_db: Any, mongodb_uri: str) -> None:
    from gridfs_server import ServerThread
    from pymongo import AsyncMongoClient

    db_name = sync_db.name

    async def make_app() -> web.Application:
        handler = GridFSHandler(AsyncMongoClient(mongodb_uri)[db_name])
        app = web.Application()
        app.router.add_route("*", "/any/{filename}", handler)
        return app

    server = ServerThread(make_app)
    url = server.start()
    try:
        r = httpx.request("DELETE", f"{url}/any/x")
        assert r.status_code == 405
        assert set(r.headers["allow"].split(",")) == {"GET", "HEAD"}
    finally:
        server.stop()


def test_missing_file_is_404_without_echoing_the_path(gridfs_server: Any) -> None:
    url = gridfs_server().base_url
    r = httpx.get(f"{url}/fs/%3Cscript%3Ealert(1)%3C%2Fscript%3E.png")
    assert r.status_code == 404
    assert "script" not in r.text and "alert" not in r.text


def test_route_without_filename_is_refused(sync_db: Any, mongodb_uri: str) -> None:
    from gridfs_server import ServerThread
    from pymongo import AsyncMongoClient

    handler = GridFSHandler(AsyncMongoClient(mongodb_uri)[sync_db.name])
    with pytest.raises(ValueError, match=r"\{filename\}"):
        handler.add_routes(web.Application().router, "/fs/{name}")

    async def make_app() -> web.Application:
        app = web.Application()
        app.router.add_get("/fs/{name}", GridFSHandler(AsyncMongoClient(mongodb_uri)["x"]))
        return app

    server = ServerThread(make_app)
    url = server.start()
    try:
        r = httpx.get(f"{url}/fs/a")
        assert r.status_code == 500
    finally:
        server.stop()


def test_sync_pymongo_database_is_refused(sync_db: Any) -> None:
    with pytest.raises(TypeError, match="AsyncDatabase"):
        GridFSHandler(sync_db)


# -- Content-Type ------------------------------------------------------------------------


def test_content_type_resolution_order(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "meta.png", b"1", metadata={"contentType": "image/webp"})
    upload(sync_db, "guess.css", b"2")
    upload(sync_db, "unknown.zzzz", b"3")
    legacy = upload(sync_db, "legacy.png", b"4")
    sync_db.fs.files.update_one({"_id": legacy}, {"$set": {"contentType": "text/x-legacy"}})
    both = upload(sync_db, "both.txt", b"5", metadata={"contentType": "application/x-new"})
    sync_db.fs.files.update_one({"_id": both}, {"$set": {"contentType": "text/x-old"}})
    evil = upload(sync_db, "evil.txt", b"6", metadata={"contentType": "text/html\r\nX-Evil: 1"})
    del evil
    url = gridfs_server().base_url
    expect = {
        "meta.png": "image/webp",
        "guess.css": "text/css",
        "unknown.zzzz": "application/octet-stream",
        "legacy.png": "text/x-legacy",
        "both.txt": "application/x-new",
        "evil.txt": "text/plain",
    }
    for name, ctype in expect.items():
        r = httpx.get(f"{url}/fs/{name}")
        assert r.status_code == 200, name
        assert r.headers["content-type"].split(";")[0] == ctype, name
        assert "x-evil" not in r.headers


# -- conditional requests (curl) -------------------------------------------------------


def http_date(when: datetime.datetime) -> str:
    return email.utils.format_datetime(when.astimezone(datetime.UTC), usegmt=True)


def test_conditional_requests(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "c.txt")
    url = gridfs_server().base_url + "/fs/c.txt"
    _, headers, _ = curl(url)
    etag, last_modified = headers["etag"], headers["last-modified"]
    modified = email.utils.parsedate_to_datetime(last_modified)
    later = http_date(modified + datetime.timedelta(hours=1))
    earlier = http_date(modified - datetime.timedelta(hours=1))

    def status_of(*header_args: str) -> tuple[int, dict[str, str], bytes]:
        args = []
        for h in header_args:
            args += ["-H", h]
        return curl(*args, url)

    st, h, body = status_of(f"If-None-Match: {etag}")
    assert (st, body) == (304, b"")
    assert h["etag"] == etag and h["last-modified"] == last_modified
    assert "content-type" not in h
    assert status_of(f'If-None-Match: "nope", {etag}')[0] == 304  # a list
    assert status_of(f"If-None-Match: W/{etag}")[0] == 304  # weak comparison
    assert status_of("If-None-Match: *")[0] == 304
    assert status_of('If-None-Match: "other"')[0] == 200
    assert status_of(f"If-Modified-Since: {last_modified}")[0] == 304
    assert status_of(f"If-Modified-Since: {later}")[0] == 304
    assert status_of(f"If-Modified-Since: {earlier}")[0] == 200
    assert status_of("If-Modified-Since: not a date")[0] == 200
    # If-None-Match takes precedence over If-Modified-Since, both ways
    assert status_of('If-None-Match: "other"', f"If-Modified-Since: {later}")[0] == 200
    assert status_of(f"If-None-Match: {etag}", f"If-Modified-Since: {earlier}")[0] == 304
    # If-Match / If-Unmodified-Since
    assert status_of('If-Match: "other"')[0] == 412
    assert status_of(f"If-Match: W/{etag}")[0] == 412  # strong comparison only
    st, _, body = status_of(f"If-Match: {etag}")
    assert st == 200 and body == DATA
    assert status_of("If-Match: *")[0] == 200
    assert status_of(f"If-Unmodified-Since: {earlier}")[0] == 412
    assert status_of(f"If-Unmodified-Since: {later}")[0] == 200
    # If-Match wins over If-None-Match
    assert status_of('If-Match: "other"', f"If-None-Match: {etag}")[0] == 412


# -- ranges (curl) ------------------------------------------------------------------------


def test_single_ranges(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "r.bin")
    url = gridfs_server().base_url + "/fs/r.bin"
    n = len(DATA)
    for spec, (start, stop) in {
        "0-0": (0, 1),
        "0-99": (0, 100),
        "999-1000": (999, 1001),  # straddles a chunk boundary
        "2500-": (2500, n),
        "-5": (n - 5, n),
        f"100-{n + 500}": (100, n),  # clipped
    }.items():
        status, headers, body = curl("-r", spec, url)
        assert status == 206, spec
        assert headers["content-range"] == f"bytes {start}-{stop - 1}/{n}", spec
        assert headers["content-length"] == str(stop - start)
        assert body == DATA[start:stop], spec


def test_multiple_ranges_are_multipart_byteranges(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "m.bin", metadata={"contentType": "application/x-thing"})
    url = gridfs_server().base_url + "/fs/m.bin"
    n = len(DATA)
    status, headers, body = curl("-r", "0-9,2000-2999,-10", url)
    assert status == 206
    ctype = headers["content-type"]
    assert ctype.startswith("multipart/byteranges; boundary=")
    assert int(headers["content-length"]) == len(body)
    boundary = ctype.split("boundary=", 1)[1].encode()
    parts = body.split(b"--" + boundary)
    assert parts[0] == b"" and parts[-1] == b"--\r\n"
    got = []
    for part in parts[1:-1]:
        head, _, data = part.partition(b"\r\n\r\n")
        assert b"Content-Type: application/x-thing" in head
        m = re.search(rb"Content-Range: bytes (\d+)-(\d+)/(\d+)", head)
        assert m is not None
        start, end = int(m.group(1)), int(m.group(2))
        assert int(m.group(3)) == n
        assert data[:-2] == DATA[start : end + 1] and data.endswith(b"\r\n")
        got.append((start, end))
    assert got == [(0, 9), (2000, 2999), (n - 10, n - 1)]
    # overlapping ranges are merged into one
    status, headers, body = curl("-r", "0-99,50-149", url)
    assert status == 206 and headers["content-range"] == f"bytes 0-149/{n}"
    assert body == DATA[:150]


def test_unsatisfiable_and_ignored_ranges(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "u.bin")
    url = gridfs_server().base_url + "/fs/u.bin"
    n = len(DATA)
    status, headers, _ = curl("-r", f"{n}-{n + 10}", url)
    assert status == 416
    assert headers["content-range"] == f"bytes */{n}"
    for bad in ("bytes=5-2", "lines=0-4", "bytes=x-y", "bytes="):
        status, _, body = curl("-H", f"Range: {bad}", url)
        assert status == 200 and body == DATA, bad
    many = ",".join(f"{i * 100}-{i * 100 + 10}" for i in range(40))  # > max_ranges
    status, _, body = curl("-r", many, url)
    assert status == 200 and body == DATA


def test_if_range(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "ir.bin")
    url = gridfs_server().base_url + "/fs/ir.bin"
    _, headers, _ = curl(url)
    etag, last_modified = headers["etag"], headers["last-modified"]
    assert curl("-r", "0-9", "-H", f"If-Range: {etag}", url)[0] == 206
    assert curl("-r", "0-9", "-H", 'If-Range: "stale"', url)[0] == 200
    assert curl("-r", "0-9", "-H", f"If-Range: W/{etag}", url)[0] == 200
    assert curl("-r", "0-9", "-H", f"If-Range: {last_modified}", url)[0] == 206
    assert curl("-r", "0-9", "-H", "If-Range: Mon, 01 Jan 2001 00:00:00 GMT", url)[0] == 200


def test_range_reads_only_the_chunks_it_covers(sync_db: Any, gridfs_server: Any) -> None:
    """With chunks 0-2 deleted, a range inside chunks 4-5 is still served: the handler seeks
    to the range's first chunk instead of reading the file from its start."""
    file_id = upload(sync_db, "seek.bin")
    sync_db.fs.chunks.delete_many({"files_id": file_id, "n": {"$lt": 3}})
    url = gridfs_server().base_url + "/fs/seek.bin"
    status, _, body = curl("-r", "4100-5900", url)
    assert status == 206 and body == DATA[4100:5901]


# -- corruption ---------------------------------------------------------------------------


def test_missing_first_chunk_is_a_clean_500(sync_db: Any, gridfs_server: Any) -> None:
    file_id = upload(sync_db, "broken.bin")
    sync_db.fs.chunks.delete_one({"files_id": file_id, "n": 0})
    url = gridfs_server().base_url
    r = httpx.get(f"{url}/fs/broken.bin", timeout=10)
    assert r.status_code == 500
    assert httpx.get(f"{url}/fs/broken.bin", headers={"Range": "bytes=-5"}).status_code == 206


@pytest.mark.parametrize("damage", ["delete", "shrink"])
def test_bad_chunk_mid_body_closes_the_connection(
    sync_db: Any, gridfs_server: Any, damage: str
) -> None:
    file_id = upload(sync_db, "mid.bin")
    if damage == "delete":
        sync_db.fs.chunks.delete_one({"files_id": file_id, "n": 3})
    else:
        sync_db.fs.chunks.update_one({"files_id": file_id, "n": 3}, {"$set": {"data": b"x"}})
    url = gridfs_server().base_url + "/fs/mid.bin"
    started = time.monotonic()
    out = subprocess.run(
        [CURL or "curl", "-sS", "--max-time", "20", "-o", "/dev/null", "-w", "%{size_download}",
         url],
        capture_output=True, timeout=30,
    )  # fmt: skip
    assert time.monotonic() - started < 10  # no hang
    assert out.returncode == 18, out  # CURLE_PARTIAL_FILE: fewer bytes than Content-Length
    assert int(out.stdout) == 3 * CHUNK  # exactly the good chunks before the bad one
    # the server is still fine
    assert httpx.get(url, headers={"Range": "bytes=0-9"}).status_code == 206


# -- options and hooks ----------------------------------------------------------------------


def test_revisions(sync_db: Any, gridfs_server: Any) -> None:
    for i in range(3):
        upload(sync_db, "rev.txt", f"v{i}".encode())
        time.sleep(0.01)
    url = gridfs_server(revisions=True).base_url + "/fs/rev.txt"
    assert httpx.get(url).content == b"v2"
    for rev, body in {"0": b"v0", "1": b"v1", "2": b"v2", "-1": b"v2", "-3": b"v0"}.items():
        assert httpx.get(url, params={"revision": rev}).content == body, rev
    assert httpx.get(url, params={"revision": "3"}).status_code == 404
    assert httpx.get(url, params={"revision": "x"}).status_code == 400
    assert httpx.get(url, params={"revision": "1" * 30}).status_code == 400
    plain = gridfs_server().base_url + "/fs/rev.txt"
    assert httpx.get(plain, params={"revision": "0"}).content == b"v2"  # not enabled: ignored


def test_content_disposition(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "plain.txt", b"a")
    upload(sync_db, 'résumé "final".pdf', b"b")
    url = gridfs_server(content_disposition="attachment").base_url
    r = httpx.get(f"{url}/fs/plain.txt")
    assert r.headers["content-disposition"] == 'attachment; filename="plain.txt"'
    r = httpx.get(f"{url}/fs/r%C3%A9sum%C3%A9%20%22final%22.pdf")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == (
        'attachment; filename="r_sum_ _final_.pdf"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
    )


def test_seed_examples(sync_db: Any, gridfs_server: Any) -> None:
    """The three examples of Motor's documentation, unchanged but for the import."""
    seen: list[tuple[str, datetime.datetime, str]] = []

    def image_cache_time(filename: str, modified: datetime.datetime, mime_type: str) -> int:
        seen.append((filename, modified, mime_type))
        if mime_type.startswith("image/"):
            return 3600
        return 0

    def get_gridfile_by_id(bucket: Any, filename: str, request: Any) -> Any:
        return bucket.open_download_stream(file_id=ObjectId(filename))

    def gzip_header(response: Any, gridout: Any) -> None:
        response.headers["Content-Encoding"] = "gzip"

    upload(sync_db, "pic.jpg", b"jpeg")
    doc_id = upload(sync_db, "doc.txt", b"text")
    url = gridfs_server(get_cache_time=image_cache_time).base_url
    r = httpx.get(f"{url}/fs/pic.jpg")
    assert r.headers["cache-control"] == "max-age=3600"
    expires = email.utils.parsedate_to_datetime(r.headers["expires"])
    now = datetime.datetime.now(datetime.UTC)
    assert 3590 < (expires - now).total_seconds() <= 3601
    assert seen[0][0] == "pic.jpg" and seen[0][2] == "image/jpeg"
    assert seen[0][1].microsecond == 0
    assert httpx.get(f"{url}/fs/doc.txt").headers["cache-control"] == "public"

    url = gridfs_server(get_gridfs_file=get_gridfile_by_id).base_url
    assert httpx.get(f"{url}/fs/{doc_id}").content == b"text"
    assert httpx.get(f"{url}/fs/{ObjectId()}").status_code == 404

    import gzip

    upload(sync_db, "data.json", gzip.compress(b'{"a": 1}'))
    url = gridfs_server(set_extra_headers=gzip_header).base_url
    r = httpx.get(f"{url}/fs/data.json")
    assert r.headers["content-encoding"] == "gzip"
    assert r.json() == {"a": 1}  # httpx decoded it: the header and the bytes agree


def test_motor_name_is_the_same_handler() -> None:
    import aioweb

    assert AIOHTTPGridFS is GridFSHandler
    assert aioweb.AIOHTTPGridFS is GridFSHandler
    assert aioweb.web.GridFSHandler is GridFSHandler


def test_motor_database_is_served(sync_db: Any, gridfs_server: Any) -> None:
    upload(sync_db, "motor.bin")
    url = gridfs_server(motor=True).base_url + "/fs/motor.bin"
    r = httpx.get(url)
    assert r.status_code == 200 and r.content == DATA
    r = httpx.get(url, headers={"Range": "bytes=1500-2600"})
    assert r.status_code == 206 and r.content == DATA[1500:2601]
    assert httpx.get(url, headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_import_aioweb_does_not_import_pymongo() -> None:
    code = (
        "import sys, aioweb\n"
        "assert 'pymongo' not in sys.modules and 'gridfs' not in sys.modules\n"
        "aioweb.GridFSHandler\n"
        "assert 'pymongo' in sys.modules\n"
        "assert 'motor' not in sys.modules\n"
    )
    import sys

    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
