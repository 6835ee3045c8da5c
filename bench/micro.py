"""aioweb's hot path without the kernel: CPU µs per request of the Python code alone.

    .venv/bin/python bench/micro.py [--requests 50000] [--workload plaintext] [--profile]

A connection of the benchmark app (``bench/apps/app.py``) is fed complete requests through
``data_received`` and writes into an in-memory transport, so no socket, syscall or other
process is involved: the figure moves only with aioweb's own code, which makes it the quick
way to see whether a hot-path change helps (wrk runs in ``run.py`` give the real ratios).
The same request goes in each time; each reply is checked.  ``--profile`` prints cProfile's
top functions instead of timing.

``--instructions`` counts instead of timing: it runs this script twice under valgrind's
callgrind (``apt-get install valgrind``) with 500 and 2,500 requests and prints the difference
÷ 2,000, the CPU instructions one request costs.  That figure is deterministic (a shared,
noisy machine cannot move it), so it resolves changes of 1% that no timing here can.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "apps"))

import uvloop
from app import build_app, load_web

REQUESTS = {
    "plaintext": b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
    "json": b"GET /json HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
    "param": b"GET /user/42 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
    "pipelined": b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n" * 16,
    "post64k": b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
    b"Content-Type: application/octet-stream\r\nContent-Length: 65536\r\n\r\n" + b"x" * 65536,
}
PER_FEED = {"pipelined": 16}
EXPECT = {
    "plaintext": b"Hello, World!",
    "json": b'{"message": "Hello, World!"}',
    "param": b"user 42",
    "pipelined": b"Hello, World!",
    "post64k": b"x" * 1024,
}


class MemoryTransport(asyncio.Transport):
    """Collects what the server writes; stands in for a socket the kernel would drain."""

    def __init__(self) -> None:
        super().__init__()
        self.out: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.out.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        self.out.extend(bytes(x) for x in lines)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8080)}.get(
            name, default
        )


async def run(workload: str, count: int, profile: bool) -> float:
    web = load_web("aioweb")
    app = build_app(web)
    factory = app.make_handler(access_log=None)  # as in the benchmark app: logging off
    if hasattr(app, "startup"):
        await app.startup()
    transport = MemoryTransport()
    protocol = factory()
    protocol.connection_made(transport)
    data = REQUESTS[workload]
    feeds = max(1, count // PER_FEED.get(workload, 1))

    for _ in range(200):  # warm-up, and check the reply
        done = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(
            lambda d=done: (protocol.data_received(data), d.set_result(None))
        )
        await done
    reply = b"".join(transport.out)
    if b"200 OK" not in reply or EXPECT[workload] not in reply:
        raise SystemExit(f"unexpected reply: {reply[:300]!r}")
    transport.out.clear()

    # data_received is called by the event loop, outside any task, as a socket would have it
    # (inside a task, the connection could not make its carrier task current).
    loop = asyncio.get_running_loop()

    def feed_batch(n: int, done: asyncio.Future[None]) -> None:
        for _ in range(n):
            protocol.data_received(data)
        transport.out.clear()
        done.set_result(None)

    prof = cProfile.Profile() if profile else None
    if prof:
        prof.enable()
    start = time.process_time()
    left = feeds
    while left > 0:
        batch = min(left, 1000)
        done = loop.create_future()
        loop.call_soon(feed_batch, batch, done)
        await done
        left -= batch
    elapsed = time.process_time() - start
    if prof:
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(
            int(__import__("os").environ.get("MICRO_TOP", "25"))
        )
    protocol.connection_lost(None)
    return elapsed * 1e6 / (feeds * PER_FEED.get(workload, 1))


def count_instructions(workload: str) -> int:
    """Instructions per request: two callgrind runs, their difference ÷ the extra requests."""
    totals = []
    for n in (500, 2500):
        proc = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                sys.executable,
                __file__,
                "--workload",
                workload,
                "--requests",
                str(n),
                "--repeat",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            # One hash seed for every count: string hashes (dict probes) otherwise move the
            # figure by about 1% from run to run.  (``os`` is not imported at module level:
            # growing this module's globals moved the count by 2.6k, the harness's own share.)
            env={**__import__("os").environ, "PYTHONHASHSEED": "0"},
        )
        found = re.search(r"Collected : (\d+)", proc.stderr)
        if found is None:
            raise SystemExit(f"callgrind gave no count:\n{proc.stdout}\n{proc.stderr[-2000:]}")
        totals.append(int(found.group(1)))
    return (totals[1] - totals[0]) // 2000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", nargs="+", default=list(REQUESTS), choices=list(REQUESTS))
    ap.add_argument("--requests", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--instructions", action="store_true", help="count with callgrind")
    args = ap.parse_args()
    if args.instructions:
        for workload in args.workload:
            print(f"{workload:10} {count_instructions(workload):,} instructions/request")
        return
    for workload in args.workload:
        runs = [
            uvloop.run(run(workload, args.requests, args.profile))
            for _ in range(1 if args.profile else args.repeat)
        ]
        print(f"{workload:10} {min(runs):6.2f} µs/request (best of {len(runs)})")


if __name__ == "__main__":
    main()
