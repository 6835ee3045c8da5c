"""WebSocket connection churn: does the server's memory come back after many short sessions?

    .venv/bin/python bench/bench_ws_churn.py [--cycles 2000] [--concurrency 50] [--size 2048]

Each cycle opens a WebSocket (aiohttp's client), sends one text message of ``--size`` bytes,
waits for its echo and closes. ``--concurrency`` cycles run at once. The run is done twice,
with permessage-deflate offered by the client and without, each against a fresh server in
its own process (so the RSS is the server's alone). Printed per run: the server's RSS after
start-up and one warm-up connection (start), its high-water mark (peak, ``VmHWM``) and its
RSS once the churn is over and the server has been idle for ``--settle`` seconds (end).

Why: a compressing connection holds zlib state in C memory (about 256 KiB of deflate state
with a 15-bit window, plus the inflate window); when thousands of those are allocated and
freed the allocator's heap fragments and RSS stays high even though Python-level memory is
flat. The end figure with deflate should come back near the one without.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = """
import sys
from aioweb import web

async def echo(request):
    ws = web.WebSocketResponse(compress=True)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == web.WSMsgType.TEXT:
            await ws.send_str(msg.data)
    return ws

app = web.Application()
app.router.add_get("/ws", echo)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid``, in KiB."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_listening(port: int, deadline: float) -> None:
    while True:
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def churn(port: int, cycles: int, concurrency: int, size: int, deflate: bool) -> float:
    """Run ``cycles`` connect-send-echo-close cycles; return the elapsed seconds."""
    import aiohttp

    url = f"http://127.0.0.1:{port}/ws"
    payload = ("churn " * (size // 6 + 1))[:size]
    left = cycles
    compress = 15 if deflate else 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            async with session.ws_connect(url, compress=compress) as ws:
                assert (ws.compress != 0) is deflate, ws.compress
                await ws.send_str(payload)
                msg = await ws.receive(timeout=10)
                assert msg.data == payload

    start = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with asyncio.timeout(300):
            await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return time.perf_counter() - start


def run_one(args: argparse.Namespace, deflate: bool) -> dict[str, float]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        asyncio.run(wait_listening(port, time.monotonic() + 20))
        asyncio.run(churn(port, 1, 1, args.size, deflate))  # warm-up: imports, first buffers
        time.sleep(0.5)
        start = proc_status(proc.pid)["VmRSS"]
        elapsed = asyncio.run(churn(port, args.cycles, args.concurrency, args.size, deflate))
        time.sleep(args.settle)
        status = proc_status(proc.pid)
        return {
            "start": start / 1024,
            "peak": status["VmHWM"] / 1024,
            "end": status["VmRSS"] / 1024,
            "rate": args.cycles / elapsed,
        }
    finally:
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--size", type=int, default=2048, help="message size in bytes")
    parser.add_argument("--settle", type=float, default=3.0, help="idle seconds before 'end'")
    parser.add_argument("--only", choices=("deflate", "plain"), default=None)
    args = parser.parse_args()
    print(
        f"{args.cycles} cycles, {args.concurrency} concurrent, {args.size}-byte messages; "
        "server RSS in MiB"
    )
    print(f"{'mode':<8} {'start':>7} {'peak':>7} {'end':>7} {'cycles/s':>9}")
    modes = [m for m in ("plain", "deflate") if args.only in (None, m)]
    for mode in modes:
        r = run_one(args, deflate=mode == "deflate")
        print(f"{mode:<8} {r['start']:7.1f} {r['peak']:7.1f} {r['end']:7.1f} {r['rate']:9.0f}")


if __name__ == "__main__":
    main()
