"""Issue 11 item 7's shutdown defect: connections opened at the instant of SIGTERM.

A server that stops gracefully may refuse new connections once it stops listening, but a
connection the kernel has already accepted into the listen backlog is a client that was told
"connected": closing the listening socket with it still queued resets it, and the client never
learns whether its request ran.  So each connection must end with a response or be refused at
connect time; a reset, or a close with no response, fails.

The probe starts a fresh server (aioweb with ``workers=2``, where the defect was seen; aiohttp,
which has no workers, as it runs), opens 8 connections every 2 ms with ``GET /`` on it from 0.1 s
before SIGTERM (sent to the main process, as ``kill PID`` does) to 0.3 s after, and counts how
each connection ended.  A few rounds, since the instant is a race.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

from robust import start

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
EVERY = 0.002
BURST = 8  # connections opened together each tick: a queue in the listen backlog
BEFORE, AFTER = 0.1, 0.3
BAD = ("reset without response", "closed without response", "timeout")
NAME = "SIGTERM while connections are being opened (3 rounds)"
EXPECT = "each connection answered or refused; none reset or closed without a response"


async def attempt(port: int) -> str:
    """Open one connection, send ``GET /`` and say how it ended."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
    except ConnectionRefusedError:
        return "refused"
    except (OSError, TimeoutError) as exc:  # the client knows it is not connected
        return f"connect failed ({type(exc).__name__})"
    data = bytearray()
    try:
        writer.write(REQUEST)
        while chunk := await asyncio.wait_for(reader.read(1 << 16), 5):
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        if not data.startswith(b"HTTP/1.1 "):
            return "reset without response"
    except TimeoutError:
        return "timeout"
    finally:
        writer.close()
    if data.startswith(b"HTTP/1.1 "):
        return f"answered {data[9:12].decode()}"
    return "closed without response"


async def one_round(framework: str, root: Path, tree: Path | None, workers: int) -> Counter[str]:
    server = await asyncio.to_thread(start, framework, root, tree, None, workers)
    try:
        tasks: list[asyncio.Task[str]] = []
        t0 = time.monotonic()

        async def opener() -> None:
            while time.monotonic() - t0 < BEFORE + AFTER:
                tasks.extend(asyncio.create_task(attempt(server.port)) for _ in range(BURST))
                await asyncio.sleep(EVERY)

        opening = asyncio.create_task(opener())
        await asyncio.sleep(BEFORE)
        os.kill(server.proc.pid, signal.SIGTERM)
        await opening
        return Counter(await asyncio.gather(*tasks))
    finally:
        await asyncio.to_thread(server.stop)


async def shutdown_probe(
    framework: str, root: Path, tree: Path | None = None, rounds: int = 3
) -> tuple[str, bool]:
    """The table cell and the verdict (no connection reset or closed without a response)."""
    workers = 2 if framework == "aioweb" else 1
    total: Counter[str] = Counter()
    for _ in range(rounds):
        total += await one_round(framework, root, tree, workers)
    cell = ", ".join(f"{n} {what}" for what, n in sorted(total.items()))
    label = f"workers={workers}: " if workers != 1 else ""
    return label + cell, not any(total[b] for b in BAD)
