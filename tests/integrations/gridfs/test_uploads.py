"""The upload, list and delete helpers, driven by real HTTP clients (httpx, raw sockets)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.timeout(90)


def wait_until(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_multipart_upload_then_list_get_delete(sync_db: Any, gridfs_server: Any) -> None:
    url = gridfs_server().base_url
    data = os.urandom(700_000)  # several 255 KiB chunks
    r = httpx.post(
        f"{url}/upload",
        data={"title": "before the file", "other": "x"},
        files={"file": ("holiday.jpg", data, "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    file_id = r.json()["id"]
    listed = httpx.get(f"{url}/list").json()
    assert listed == [
        {
            "id": file_id,
            "filename": "holiday.jpg",
            "length": len(data),
            "content_type": "image/jpeg",
        }
    ]
    got = httpx.get(f"{url}/fs/holiday.jpg")
    assert got.content == data and got.headers["content-type"] == "image/jpeg"
    assert httpx.post(f"{url}/delete/{file_id}").status_code == 204
    assert httpx.get(f"{url}/fs/holiday.jpg").status_code == 404
    assert httpx.post(f"{url}/delete/{file_id}").status_code == 404
    assert sync_db.fs.chunks.count_documents({}) == 0


def test_raw_body_upload(sync_db: Any, gridfs_server: Any) -> None:
    url = gridfs_server().base_url
    data = os.urandom(300_000)
    r = httpx.post(
        f"{url}/upload", params={"filename": "raw.bin"}, content=data,
        headers={"Content-Type": "application/x-raw"},
    )  # fmt: skip
    assert r.status_code == 201
    doc = sync_db.fs.files.find_one({"filename": "raw.bin"})
    assert doc["length"] == len(data) and doc["metadata"] == {"contentType": "application/x-raw"}
    assert httpx.get(f"{url}/fs/raw.bin").content == data


def test_chunked_raw_upload_streams(sync_db: Any, gridfs_server: Any) -> None:
    url = gridfs_server().base_url
    pieces = [os.urandom(100_000) for _ in range(12)]

    def body() -> Iterator[bytes]:
        yield from pieces

    r = httpx.post(f"{url}/upload", params={"filename": "chunked.bin"}, content=body())
    assert r.status_code == 201
    assert httpx.get(f"{url}/fs/chunked.bin").content == b"".join(pieces)


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"content": b"abc"}, 400),  # raw body without a filename
        ({"files": {"other": ("a.txt", b"abc")}}, 400),  # no part named "file"
        ({"files": {"file": ("", b"abc")}}, 400),  # a part with an empty filename
        ({"params": {"filename": "bad\x01name"}, "content": b"abc"}, 400),
        ({"params": {"filename": "x" * 2000}, "content": b"abc"}, 400),
    ],
)
def test_bad_uploads_are_400(
    sync_db: Any, gridfs_server: Any, kwargs: dict[str, Any], status: int
) -> None:
    url = gridfs_server().base_url
    assert httpx.post(f"{url}/upload", **kwargs).status_code == status
    assert sync_db.fs.files.count_documents({}) == 0
    assert sync_db.fs.chunks.count_documents({}) == 0


def raw_request(port: int, head: str) -> bytes:
    """Send a request head and return the response head."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode())
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
            if b"\r\n\r\n" in out:
                break
        return out


def test_declared_size_over_limit_is_refused_before_reading(gridfs_server: Any) -> None:
    server = gridfs_server(upload={"max_size": 1000})
    started = time.monotonic()
    # headers only: the server must answer without waiting for the 10 MB it was promised
    reply = raw_request(
        server.port,
        "POST /upload?filename=big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n",
    )
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
    assert time.monotonic() - started < 5


def test_streamed_body_over_limit_is_413_and_leaves_nothing(
    sync_db: Any, gridfs_server: Any
) -> None:
    url = gridfs_server(upload={"max_size": 2_000_000}).base_url

    def body() -> Iterator[bytes]:
        for _ in range(40):
            yield os.urandom(100_000)

    r = httpx.post(f"{url}/upload", params={"filename": "too-big.bin"}, content=body())
    assert r.status_code == 413
    wait_until(lambda: sync_db.fs.chunks.count_documents({}) == 0)
    assert sync_db.fs.files.count_documents({}) == 0

    files = {"file": ("big.bin", os.urandom(3_000_000), "application/octet-stream")}
    assert httpx.post(f"{url}/upload", files=files).status_code == 413
    wait_until(lambda: sync_db.fs.chunks.count_documents({}) == 0)
    assert sync_db.fs.files.count_documents({}) == 0


def test_client_disconnect_mid_upload_removes_the_chunks(sync_db: Any, gridfs_server: Any) -> None:
    server = gridfs_server()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        sock.sendall(
            b"POST /upload?filename=gone.bin HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 20000000\r\n\r\n"
        )
        for _ in range(30):  # 3 MB of the promised 20 MB
            sock.sendall(os.urandom(100_000))
        # chunks reach the database while the upload is still going (bounded buffering)
        wait_until(lambda: sync_db.fs.chunks.count_documents({}) > 0)
    finally:
        sock.close()
    wait_until(lambda: sync_db.fs.chunks.count_documents({}) == 0)
    assert sync_db.fs.files.count_documents({}) == 0


def test_upload_memory_is_bounded(sync_db: Any, gridfs_server: Any) -> None:
    """64 MiB streamed in: the process's RSS grows by far less than the file."""
    url = gridfs_server(upload={"max_size": 128 << 20}).base_url
    block = os.urandom(1 << 20)
    peak = [0]
    stop = threading.Event()

    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.01)

    def body() -> Iterator[bytes]:
        for _ in range(64):
            yield block

    # warm up (imports, connection pools, first-batch buffers)
    httpx.post(f"{url}/upload", params={"filename": "warm.bin"}, content=block * 4)
    baseline = rss()
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        r = httpx.post(f"{url}/upload", params={"filename": "big.bin"}, content=body(),
                       timeout=120)  # fmt: skip
    finally:
        stop.set()
        sampler.join()
    assert r.status_code == 201
    growth = peak[0] - baseline
    assert growth < 24 << 20, f"RSS grew by {growth >> 20} MiB for a 64 MiB upload"
    assert sync_db.fs.files.find_one({"filename": "big.bin"})["length"] == 64 << 20
