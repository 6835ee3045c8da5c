"""Stopping ``python -m demo`` with Ctrl-C, twice, as an impatient person does.

A real process with open streams (SSE, the performance stream, a WebSocket) and an upload in
flight gets SIGINT twice, 0.2 s apart: it must finish the upload, end the streams at once,
stop cleanly (exit 0, no "Task was destroyed but it is pending!", no traceback) and remove
its temporary folders.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import websockets.sync.client

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(60)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _slow_upload(port: int, answers: list[bytes]) -> None:
    """A multipart upload whose last bytes come 1.5 s late: in flight during the shutdown."""
    boundary = "xyzzy"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="late.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\n{'x' * 1000}\r\n--{boundary}--\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /files/upload HTTP/1.1\r\nHost: demo\r\n"
            + f"Content-Type: multipart/form-data; boundary={boundary}\r\n".encode()
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:500]
        )
        time.sleep(1.5)
        sock.sendall(body[500:])
        sock.settimeout(10)
        answers.append(sock.recv(65536))


def test_two_ctrl_c_stop_the_demo_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    env.pop("MONGODB_URI", None)
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    streams: list[httpx.Response] = []
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert [p.name for p in tmp_path.glob("aioweb-demo-*-*")]  # made at start
        client = httpx.Client(timeout=None)
        for path in ("/sse/clock", "/sse/progress?step=1", "/performance/stream"):
            resp = client.send(client.build_request("GET", base + path), stream=True)
            assert resp.status_code == 200
            streams.append(resp)
        chat = websockets.sync.client.connect(f"ws://127.0.0.1:{port}/chat/ws")
        answers: list[bytes] = []
        upload = threading.Thread(target=_slow_upload, args=(port, answers))
        upload.start()
        time.sleep(0.5)
        stopping = time.monotonic()
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
        took = time.monotonic() - stopping
        upload.join(10)
        chat.close()
    finally:
        for resp in streams:
            resp.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Task was destroyed" not in err and "Traceback" not in err, err
    assert "already stopping" in err
    # the streams end at shutdown (on_shutdown): only the upload is waited for, not the
    # 10 s shutdown_timeout
    assert took < 5, took
    assert answers and answers[0].startswith(b"HTTP/1.1 200"), answers  # finished in time
    left = [p.name for p in tmp_path.glob("aioweb-demo-*-*")]
    assert not left, left
