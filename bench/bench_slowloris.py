"""A normal client's latency, quiet and under a slow-loris attack, aioweb vs aiohttp.

    .venv/bin/python bench/bench_slowloris.py [--conns 2000] [--seconds 20] [--quiet 8]

Run on demand (not part of the tests).  For each server (aioweb, then aiohttp), in separate
processes on 127.0.0.1, both on uvloop with default settings; the server is pinned to CPU 0,
the attacker and the normal client to CPU 1 (as ``bench/run.py`` does), so that the attack's
own CPU use does not take the server's core:

1. *quiet*: a normal client sends ``GET /`` on one kept-alive connection every 5 ms for
   ``--quiet`` seconds and records each round-trip;
2. *attack*: an attacker process holds ``--conns`` connections that each send a request line
   and then one header line every half second, forever; a connection the server closes is
   opened again at once (so the load stays constant and the server keeps cutting).  Once they
   are open, the normal client measures again for ``--seconds`` seconds.

It prints p50/p99/max of the normal client in both phases, and for the attack how many
attacking connections the server closed.  Everything is bounded: the attack stops by itself
after the measurement, and every process is ended at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


# -- the servers ------------------------------------------------------------------------------


def serve(kind: str, port: int) -> None:
    """Run a one-route server of ``kind`` on ``port`` until SIGTERM (its default settings)."""
    import uvloop

    if kind == "aioweb":
        sys.path.insert(0, str(ROOT))
        from aioweb import web
    else:
        from aiohttp import web  # type: ignore[no-redef]

    async def index(request: web.Request) -> web.Response:
        return web.Response(text="Hello, World!")

    app = web.Application()
    app.router.add_get("/", index)
    web.run_app(
        app,
        host="127.0.0.1",
        port=port,
        print=None,
        access_log=None,
        loop=uvloop.new_event_loop(),
    )


# -- the attacker -----------------------------------------------------------------------------


async def attack(port: int, conns: int, seconds: float) -> None:
    """Hold ``conns`` header-dribbling connections until SIGTERM (at most ``seconds``);
    print ``READY`` once all are open, and at the end how many the server closed."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.call_later(seconds, stop.set)
    closed = 0
    opened = 0
    ready = asyncio.Event()

    async def one() -> None:
        nonlocal closed, opened
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            opened += 1
            if opened >= conns:
                ready.set()
            gone = asyncio.ensure_future(reader.read())  # done at the server's close
            try:
                writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                while not stop.is_set() and not gone.done():
                    await asyncio.wait([gone], timeout=0.5)
                    if not gone.done():
                        writer.write(b"X-Dribble: 1\r\n")
                        await writer.drain()
            except OSError:
                pass
            finally:
                gone.cancel()
                writer.close()
            if not stop.is_set():
                closed += 1

    tasks = [asyncio.create_task(one()) for _ in range(conns)]
    await asyncio.wait_for(ready.wait(), 60)
    print("READY", flush=True)
    await asyncio.gather(*tasks, return_exceptions=True)
    print(f"CLOSED {closed}", flush=True)


# -- the normal client ------------------------------------------------------------------------


def measure(port: int, seconds: float, interval: float = 0.005) -> list[float]:
    """Round-trips (ms) of ``GET /`` on one kept-alive connection, one every ``interval``."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        sock.sendall(REQUEST)
        data = b""
        while b"Hello, World!" not in data:
            chunk = sock.recv(65536)
            if not chunk:  # closed (keep-alive timeout): go on with a new connection
                sock.close()
                sock = socket.create_connection(("127.0.0.1", port))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.sendall(REQUEST)
                data = b""
                continue
            data += chunk
        times.append((time.perf_counter() - start) * 1000)
        pause = interval - (time.perf_counter() - start)
        if pause > 0:
            time.sleep(pause)
    sock.close()
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p50 = statistics.median(ordered)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  max {ordered[-1]:7.2f} ms  (n={len(ordered)})"


SERVER_CPU, CLIENT_CPU = 0, 1


def _pin(cpu: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that pins the child to ``cpu`` (None where there is one CPU only)."""
    if (os.cpu_count() or 1) < 2:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


def run_one(kind: str, conns: int, seconds: float, quiet: float) -> tuple[str, str, str]:
    port = free_port()
    me = [sys.executable, __file__]
    server = subprocess.Popen(
        [*me, "--serve", kind, "--port", str(port)], preexec_fn=_pin(SERVER_CPU)
    )
    attacker = None
    try:
        wait_listening(port)
        time.sleep(0.5)
        quiet_times = measure(port, quiet)
        bound = ["--seconds", str(seconds + 30)]  # the attacker stops by itself after this
        attacker = subprocess.Popen(
            [*me, "--attack", "--port", str(port), "--conns", str(conns), *bound],
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=_pin(CLIENT_CPU),
        )
        assert attacker.stdout is not None
        line = attacker.stdout.readline().strip()
        if line != "READY":
            raise RuntimeError(f"attacker: {line!r}")
        time.sleep(2)  # let the open burst settle: measure the steady attack
        attack_times = measure(port, seconds)
        attacker.send_signal(signal.SIGTERM)
        closed = "?"
        try:
            out, _ = attacker.communicate(timeout=30)
            closed = out.strip().rsplit(" ", 1)[-1] if "CLOSED" in out else "?"
        except subprocess.TimeoutExpired:
            attacker.kill()
        return summary(quiet_times), summary(attack_times), closed
    finally:
        if attacker is not None and attacker.poll() is None:
            attacker.kill()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conns", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--quiet", type=float, default=8.0)
    parser.add_argument("--servers", nargs="+", default=["aioweb", "aiohttp"])
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--attack", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.serve:
        serve(args.serve, args.port)
        return
    if args.attack:
        import uvloop

        uvloop.run(attack(args.port, args.conns, args.seconds))
        return
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {CLIENT_CPU})  # the normal client (this process)
    print(f"{args.conns} header-dribbling connections, normal client every 5 ms, uvloop")
    for kind in args.servers:
        quiet, attacked, closed = run_one(kind, args.conns, args.seconds, args.quiet)
        print(f"{kind:8} quiet   {quiet}", flush=True)
        print(f"{kind:8} attack  {attacked}  attackers cut: {closed}", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
