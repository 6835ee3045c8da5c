"""SIGTERM while clients are connecting, with ``workers=2``: nobody connected is reset.

A graceful stop may refuse new connections once it stops listening, but a connection the
kernel has already completed (it sits in the listen backlog, or was accepted an instant before
the signal and its request is still unread) belongs to a client that was told "connected":
resetting it leaves that client not knowing whether its request ran.  So every connection
opened around SIGTERM must end with a response, or be refused at connect time.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable

import pytest
from deploy_fixtures import Spawn
from deploy_helpers import APPS, PYTHON, child_pids, free_port, pids_answering, wait_for, wait_http

pytestmark = pytest.mark.timeout(120)

APP = str(APPS / "deploy_app.py")
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
BAD = ("reset without response", "closed without response", "timeout")


async def _attempt(port: int) -> str:
    """Open one connection, send ``GET /``, and say how it ended."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 3)
    except ConnectionRefusedError:
        return "refused"
    except (OSError, TimeoutError):
        return "connect failed"  # (the client knows it never connected)
    data = bytearray()
    try:
        writer.write(REQUEST)
        while chunk := await asyncio.wait_for(reader.read(1 << 16), 8):
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        if not data.startswith(b"HTTP/1.1 "):
            return "reset without response"
    except TimeoutError:
        return "timeout"
    finally:
        writer.close()
    if data.startswith(b"HTTP/1.1 200"):
        return "answered"
    return "closed without response" if not data else f"other {bytes(data[:12])!r}"


async def _round(send_signal: Callable[[int], None], port: int) -> Counter[str]:
    """Bursts of 8 connections every 2 ms, from 0.1 s before SIGTERM to 0.3 s after."""
    tasks: list[asyncio.Task[str]] = []
    start = time.monotonic()

    async def opener() -> None:
        while time.monotonic() - start < 0.4:
            tasks.extend(asyncio.create_task(_attempt(port)) for _ in range(8))
            await asyncio.sleep(0.002)

    opening = asyncio.create_task(opener())
    await asyncio.sleep(0.1)
    send_signal(signal.SIGTERM)
    await opening
    return Counter(await asyncio.gather(*tasks))


def test_connections_opened_at_sigterm_are_answered_or_refused(spawn: Spawn) -> None:
    total: Counter[str] = Counter()
    for _ in range(4):  # the instant is a race: a few rounds
        port = free_port()
        proc = spawn(PYTHON, APP, "--port", str(port), "--workers", "2")
        url = f"http://127.0.0.1:{port}/"
        wait_http(url, proc)
        pid = proc.pid
        assert wait_for(lambda pid=pid: len(child_pids(pid)) == 2)
        assert len(pids_answering(url, 2)) == 2  # both workers up and serving
        total += asyncio.run(_round(proc.signal, port))
        assert proc.wait(30) == 0, proc.output
    assert not any(total[bad] for bad in BAD), total
    assert total["answered"] > 0 and set(total) <= {"answered", "refused", "connect failed"}
