"""Fan-out benchmark: one publisher, 1,000 WebSocket subscribers over 2 server processes, on
Redis - aioweb's broadcast layer against python-socketio 5.x with ``AsyncRedisManager``.

    .venv/bin/python bench/bench_broadcast.py [--rounds 2] [--subscribers 1000] [--burst 300]

Each system is set up as its documentation says for several processes:

* aioweb: ``setup_broadcast(app, RedisBackend(url))``, ``run_app(workers=2)``; the handler joins
  the socket to a group; the publisher is a separate process with a ``Broadcast`` on the same
  Redis calling ``layer.send(group, data)``.
* python-socketio: ``AsyncServer(client_manager=AsyncRedisManager(url))`` on aiohttp, two
  server processes (one port each; WebSocket transport only, so no sticky sessions are
  needed); ``enter_room`` on connect; the publisher is a separate process with
  ``AsyncRedisManager(url, write_only=True)`` calling ``emit("msg", data, room=...)``.

The subscribers are two client processes (500 connections each) speaking raw WebSocket frames
through aioweb's sans-IO codec, so a client costs the same whatever the server; the socket.io
clients do the engine.io/socket.io handshake (``EIO=4``, ``40``) and read ``42[...]`` packets.

Two phases per system and round, in the same run:

* paced: ``--rate`` messages/s for ``--seconds`` (5 x 1,000 = 5,000 deliveries/s by default,
  within both systems' capacity); *p99 latency* is over every delivery (send time in the
  payload, receipt time in the client; one machine, one clock);
* burst: the publisher sends ``--burst`` messages back to back; *delivered messages/s* is
  (messages x subscribers received) / (last receipt - first send).

The ratio printed is aioweb's delivered/s over socket.io's, per round, then the median. On a
shared, noisy machine wall-clock rates move with the neighbours' load, so the servers' CPU time
(user+sys from /proc, all server processes, over both phases) per delivered message is printed
too, with its ratio. All traffic goes to 127.0.0.1; a redis-server of its own is started;
every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GROUP = "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")
END = -1  # the payload n that ends a client's run


# -- servers ---------------------------------------------------------------------------------


def serve_aioweb(port: int, redis_url: str) -> None:
    from aioweb import web
    from aioweb.broadcast import RedisBackend, get_broadcast, setup_broadcast

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async with get_broadcast(request).connection(ws, GROUP):
            async for _ in ws:
                pass
        return ws

    app = web.Application()
    setup_broadcast(app, RedisBackend(redis_url), queue_limit=4096)
    app.router.add_get("/ws", ws_handler)
    web.run_app(app, host="127.0.0.1", port=port, workers=2, print=None, access_log=None)


def serve_socketio(port: int, redis_url: str) -> None:
    import socketio
    from aiohttp import web

    mgr = socketio.AsyncRedisManager(redis_url)
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=mgr, transports=["websocket"])

    @sio.event
    async def connect(sid: str, environ: Any) -> None:
        await sio.enter_room(sid, GROUP)

    app = web.Application()
    sio.attach(app)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- publisher -------------------------------------------------------------------------------


async def _publish(system: str, redis_url: str, burst: int, rate: float, seconds: float) -> None:
    """Paced, pause, burst, end marker; prints the burst's start time as JSON."""
    if system == "aioweb":
        from aioweb.broadcast import Broadcast, RedisBackend

        layer = Broadcast(RedisBackend(redis_url))
        await layer.start()

        async def send(data: dict[str, Any]) -> None:
            await layer.send(GROUP, data)

        async def close() -> None:
            await layer.stop()
    else:
        import socketio

        mgr = socketio.AsyncRedisManager(redis_url, write_only=True)

        async def send(data: dict[str, Any]) -> None:
            await mgr.emit("msg", data, room=GROUP, namespace="/")

        async def close() -> None:
            pass

    # paced first, on empty queues: its latency is the system's, not a backlog's
    paced = int(rate * seconds)
    for k in range(paced):
        await send({"n": burst + k, "ts": time.time()})
        await asyncio.sleep(1.0 / rate)
    await asyncio.sleep(1.0)
    started = time.time()
    for n in range(burst):
        await send({"n": n, "ts": time.time()})
    await send({"n": END, "ts": time.time()})
    print(json.dumps({"burst_start": started, "paced": paced}), flush=True)
    await close()


# -- subscribers -----------------------------------------------------------------------------


class _Sub(asyncio.Protocol):
    """One raw WebSocket subscriber: counts messages, keeps latencies, answers engine.io pings."""

    def __init__(self, system: str, path: str, stats: dict[str, Any]) -> None:
        from aioweb.http.websocket import FrameReader, FrameWriter

        self.system = system
        self.path = path
        self.stats = stats
        self.head = b""
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.reader = FrameReader(require_mask=False, max_msg_size=0)
        self.writer = FrameWriter(mask=True)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def _send(self, text: str) -> None:
        from aioweb.http.websocket import OP_TEXT

        assert self.transport is not None
        self.transport.write(self.writer.message(text.encode(), OP_TEXT))

    def data_received(self, data: bytes) -> None:
        if self.head is not None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.head.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(RuntimeError(self.head[:200].decode()))
                return
            data, self.head = self.head[end + 4 :], None  # type: ignore[assignment]
            if self.system == "aioweb":
                self.ready.set_result(None)
        now = time.time()
        for msg in self.reader.feed(data):
            if not isinstance(msg.data, str):
                continue
            self._on_text(msg.data, now)

    def _on_text(self, text: str, now: float) -> None:
        if self.system == "aioweb":
            payload = json.loads(text)["data"]
        elif text.startswith("42"):
            payload = json.loads(text[2:])[1]
        elif text.startswith("0"):  # engine.io open: connect to the default namespace
            self._send("40")
            return
        elif text.startswith("40"):
            if not self.ready.done():
                self.ready.set_result(None)
            return
        elif text == "2":  # engine.io ping
            self._send("3")
            return
        else:
            return
        n = payload["n"]
        if n == END:
            if not self.ended.done():
                self.ended.set_result(None)
            return
        stats = self.stats
        if n < stats["burst"]:
            stats["burst_got"] += 1
            stats["burst_last"] = now
        else:
            stats["paced_got"] += 1
            stats["latencies"].append(now - payload["ts"])

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("lost before ready"))
        if not self.ended.done():
            self.ended.set_exception(ConnectionError("lost"))


async def _subscribe(system: str, ports: list[int], count: int, burst: int) -> None:
    """Open ``count`` subscribers, print "ready", wait for the end marker, print the stats."""
    loop = asyncio.get_running_loop()
    stats: dict[str, Any] = {"burst": burst, "burst_got": 0, "burst_last": 0.0}
    stats.update(paced_got=0, latencies=[])
    path = "/ws" if system == "aioweb" else "/socket.io/?EIO=4&transport=websocket"
    subs = []
    for i in range(count):
        port = ports[i % len(ports)]
        _, sub = await loop.create_connection(lambda: _Sub(system, path, stats), "127.0.0.1", port)
        subs.append(sub)
    await asyncio.wait_for(asyncio.gather(*(s.ready for s in subs)), 60)
    print("ready", flush=True)
    # bounded, with room for the slower system on a loaded machine (300k deliveries)
    await asyncio.wait_for(asyncio.gather(*(s.ended for s in subs), return_exceptions=True), 400)
    lat = sorted(stats.pop("latencies"))
    stats["p99_ms"] = 1000 * lat[int(len(lat) * 0.99)] if lat else None
    stats["p50_ms"] = 1000 * lat[len(lat) // 2] if lat else None
    stats["lat_sample"] = len(lat)
    print(json.dumps(stats), flush=True)
    for s in subs:
        if s.transport is not None:
            s.transport.close()


# -- orchestration ---------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _me(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


def _wait_port(port: int, timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            todo += map(int, Path(f"/proc/{p}/task/{p}/children").read_text().split())
        except OSError:
            pass
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """user+sys CPU time of ``pids`` so far (from /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def _round(system: str, redis_url: str, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    servers: list[subprocess.Popen[bytes]] = []
    clients: list[subprocess.Popen[str]] = []
    try:
        if system == "aioweb":
            ports = [_free_port()]
            servers.append(subprocess.Popen(_me("serve-aioweb", str(ports[0]), redis_url), env=env))
        else:
            ports = [_free_port(), _free_port()]
            for port in ports:
                servers.append(
                    subprocess.Popen(_me("serve-socketio", str(port), redis_url), env=env)
                )
        for port in ports:
            _wait_port(port)
        time.sleep(1.0)  # both aioweb workers up
        per_client = args.subscribers // 2
        for _ in range(2):
            cmd = _me("subscribe", system, ",".join(map(str, ports)), str(per_client))
            clients.append(
                subprocess.Popen(
                    [*cmd, str(args.burst)], stdout=subprocess.PIPE, text=True, env=env
                )
            )
        for c in clients:
            assert c.stdout is not None
            line = c.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"subscriber did not get ready: {line!r}")
        time.sleep(0.5)
        server_pids = [p for s in servers for p in _tree(s.pid)]
        cpu_before = _cpu_seconds(server_pids)
        pub = subprocess.run(
            _me("publish", system, redis_url, str(args.burst), str(args.rate), str(args.seconds)),
            capture_output=True, text=True, env=env, timeout=400, check=True,
        )  # fmt: skip
        published = json.loads(pub.stdout.strip().splitlines()[-1])
        stats = []
        for c in clients:
            out, _ = c.communicate(timeout=420)
            stats.append(json.loads(out.strip().splitlines()[-1]))
        server_cpu = _cpu_seconds(server_pids) - cpu_before
    finally:
        for p in [*clients, *servers]:
            if p.poll() is None:
                p.terminate()
        for p in [*clients, *servers]:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
    burst_got = sum(s["burst_got"] for s in stats)
    span = max(s["burst_last"] for s in stats) - published["burst_start"]
    expected_burst = args.burst * per_client * 2
    expected_paced = published["paced"] * per_client * 2
    delivered = burst_got + sum(s["paced_got"] for s in stats)
    return {
        "system": system,
        "delivered_per_s": burst_got / span if span > 0 else 0.0,
        "burst_delivered": f"{burst_got}/{expected_burst}",
        "paced_delivered": f"{sum(s['paced_got'] for s in stats)}/{expected_paced}",
        "server_cpu_us_per_delivery": 1e6 * server_cpu / max(1, delivered),
        "p50_ms": max(s["p50_ms"] or 0 for s in stats),
        "p99_ms": max(s["p99_ms"] or 0 for s in stats),
    }


def _start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (scripts/install-system-deps.sh)")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_port(port)
    return proc, f"redis://127.0.0.1:{port}/0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        redis, url = _start_redis(Path(tmp))
        try:
            ratios: list[float] = []
            cpu_ratios: list[float] = []
            for r in range(args.rounds):
                results = {}
                order = ["aioweb", "socketio"] if r % 2 == 0 else ["socketio", "aioweb"]
                for system in order:
                    results[system] = _round(system, url, args)
                    print(json.dumps(results[system]), flush=True)
                aio, sio = results["aioweb"], results["socketio"]
                ratio = aio["delivered_per_s"] / sio["delivered_per_s"]
                key = "server_cpu_us_per_delivery"
                cpu_ratio = sio[key] / aio[key]
                ratios.append(ratio)
                cpu_ratios.append(cpu_ratio)
                print(
                    f"round {r + 1}: delivered/s aioweb/socket.io = x{ratio:.2f}; "
                    f"server CPU per delivery socket.io/aioweb = x{cpu_ratio:.2f}",
                    flush=True,
                )
            print(
                f"delivered messages/s, aioweb broadcast over python-socketio AsyncRedisManager: "
                f"x{statistics.median(ratios):.2f} (median of {len(ratios)} rounds; "
                f"min x{min(ratios):.2f}, max x{max(ratios):.2f}); server CPU per delivered "
                f"message: socket.io's is x{statistics.median(cpu_ratios):.2f} aioweb's"
            )
        finally:
            redis.terminate()
            redis.wait(10)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "serve-aioweb":
        serve_aioweb(int(sys.argv[2]), sys.argv[3])
    elif command == "serve-socketio":
        serve_socketio(int(sys.argv[2]), sys.argv[3])
    elif command == "publish":
        system, url, burst, rate, seconds = sys.argv[2:7]
        asyncio.run(_publish(system, url, int(burst), float(rate), float(seconds)))
    elif command == "subscribe":
        system, ports, count, burst = sys.argv[2:6]
        asyncio.run(_subscribe(system, [int(p) for p in ports.split(",")], int(count), int(burst)))
    else:
        main()
