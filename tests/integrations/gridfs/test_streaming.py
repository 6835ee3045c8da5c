"""Downloads stream with back-pressure: a big file to a slow client keeps the server's RSS flat,
and a client that goes away mid-file frees everything.

The server runs in its own process so its RSS is measured alone. The file is 1 GiB in CI
(``CI=true``) and 256 MiB otherwise, to spare shared development machines;
``AIOWEB_GRIDFS_STREAM_MB`` sets it. It is written once per module.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gridfs import GridFSBucket
from pymongo import MongoClient

HERE = Path(__file__).resolve().parent
SIZE_MB = int(
    os.environ.get("AIOWEB_GRIDFS_STREAM_MB", "1024" if os.environ.get("CI") == "true" else "256")
)
BLOCK = hashlib.sha256(b"block").digest() * (1 << 15)  # 1 MiB, repeated to make the file

pytestmark = pytest.mark.timeout(300)


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@pytest.fixture(scope="module")
def big_file(mongodb_uri: str) -> Iterator[tuple[str, str]]:
    name = f"aioweb_stream_{os.getpid()}"
    client: MongoClient[Any] = MongoClient(mongodb_uri)
    try:
        bucket = GridFSBucket(client[name])
        with bucket.open_upload_stream("big.bin") as grid_in:
            for _ in range(SIZE_MB):
                grid_in.write(BLOCK)
        yield mongodb_uri, name
    finally:
        if os.environ.get("MONGODB_URI"):
            # a FerretDB started for this session is thrown away whole (and dropping 1 GiB
            # there takes most of a minute)
            client.drop_database(name)
        client.close()


@pytest.fixture
def server(big_file: tuple[str, str]) -> Iterator[tuple[int, int]]:
    uri, database = big_file
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "gridfs_app_process.py"), uri, database, str(port)],
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, "server exited"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def open_download(port: int, rcvbuf: int = 64 * 1024) -> tuple[socket.socket, bytes]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(20)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /fs/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        data = sock.recv(4096)
        assert data, f"connection closed before the response head: {head!r}"
        head += data
    head, _, rest = head.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert f"Content-Length: {SIZE_MB << 20}".encode() in head
    return sock, rest


def test_slow_client_keeps_rss_flat_then_fast_read_is_exact(server: tuple[int, int]) -> None:
    port, pid = server
    # warm-up request: imports, connection pool, first buffers
    warm, _ = open_download(port)
    warm.close()
    time.sleep(0.5)
    baseline = rss(pid)
    sock, first = open_download(port)
    received = len(first)
    digest = hashlib.sha256(first)
    peak = baseline
    try:
        # slow phase: ~6 MB/s for 3 s, while the server has a GiB to send
        end = time.monotonic() + 3
        while time.monotonic() < end:
            data = sock.recv(64 * 1024)
            assert data
            received += len(data)
            digest.update(data)
            peak = max(peak, rss(pid))
            time.sleep(0.01)
        assert received < 64 << 20  # the client really was slow
        growth = peak - baseline
        assert growth < 16 << 20, f"server RSS grew by {growth >> 20} MiB for a slow client"
        # fast phase: read the rest and check every byte
        while received < SIZE_MB << 20:
            data = sock.recv(1 << 20)
            assert data, f"connection closed after {received} bytes"
            received += len(data)
            digest.update(data)
        peak = max(peak, rss(pid))
    finally:
        sock.close()
    expected = hashlib.sha256()
    for _ in range(SIZE_MB):
        expected.update(BLOCK)
    assert received == SIZE_MB << 20
    assert digest.hexdigest() == expected.hexdigest()
    assert peak - baseline < 24 << 20


def test_client_leaving_mid_file_frees_everything(server: tuple[int, int]) -> None:
    port, pid = server
    warm, _ = open_download(port)
    warm.close()
    time.sleep(0.5)
    baseline = rss(pid)
    for _ in range(20):  # many downloads abandoned after 2 MiB
        sock, got = open_download(port)
        received = len(got)
        while received < 2 << 20:
            received += len(sock.recv(256 * 1024))
        sock.close()
    # the server notices each disconnect, stops reading chunks and keeps serving
    time.sleep(1)
    growth = rss(pid) - baseline
    assert growth < 16 << 20, f"server RSS grew by {growth >> 20} MiB after abandoned downloads"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # (a range at the start: FerretDB uses no index, so finding the last chunk of a 1 GiB
        # file means reading the whole chunks table, which takes most of a minute)
        sock.sendall(b"GET /fs/big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n")
        reply = b""
        while not reply.endswith(BLOCK[:10]):
            data = sock.recv(4096)
            assert data
            reply += data
        assert reply.startswith(b"HTTP/1.1 206")
    # every server-side cursor of the abandoned downloads was closed
    before = cpu_ticks(pid)
    time.sleep(1)
    busy = cpu_ticks(pid) - before
    assert busy < 20, "the server is still busy sending to clients that left"
