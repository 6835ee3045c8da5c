"""WebSocket echo benchmark: aioweb against aiohttp, measured in the same run.

    .venv/bin/python bench/bench_websocket.py [--rounds 3] [--seconds 4] [--conns 32]
        [--frameworks aiohttp aioweb floor aioweb@/path/to/baseline-tree] [--syscalls]

Workloads, all against the same echo handler (written once; only the import differs):

* ``small``: each of ``--conns`` connections sends a 32-byte text message and waits for its
  echo, again and again, for ``--seconds``; reported as round-trips per second. The client
  sends the next frame straight from ``data_received`` and checks the echo by comparing
  bytes, so it costs far less per round-trip than any server: the server sets the pace and
  is busy (many ready connections per ``epoll_wait``), as ``wrk`` keeps an HTTP server busy.
* ``small-await``: the same ping-pong from the earlier client, where each echo is awaited by
  a task through aioweb's ``FrameReader``. That client costs more per round-trip than the
  servers, which then sleep in ``epoll_wait`` between small batches: their CPU per round-trip
  includes going to sleep and being woken, more often the faster the server (even the floor
  is only ~x1.2 ahead of aiohttp this way).
* ``burst``: 8 connections each send 50 text messages of 32 bytes in one write and wait
  for the 50 echoes (a client streaming updates); reported as messages per second.
* ``1mib``: 4 connections each send a 1 MiB binary message and wait for its echo;
  reported as MB/s of payload echoed (each byte crosses the server twice).

Method: the server runs on uvloop, pinned to CPU 0 (``taskset``); the load generator is one
uvloop process pinned to CPU 1 that speaks raw frames through aioweb's own sans-IO codec with
its C masking, so the client costs the same whatever the server. Because the machine is
shared and noisy, the server's CPU time per round-trip (user+sys from /proc) is reported
too. Rounds alternate the servers; the ratio is taken per round and shown as the median
(min-max over rounds).
All traffic goes to 127.0.0.1, every run is bounded in time.

``floor`` is a bare uvloop protocol echoing lone small frames (no framework, no checks): the
event loop's and the kernel's share of a round-trip. ``floor-deferred`` writes each echo at
the loop's next turn instead of inside ``data_received``. ``NAME@TREE`` runs NAME from another
checkout (a change against its baseline in one run). ``--syscalls`` adds, per operation, the
server's ``read``/``write``/``epoll_pwait``/``getpid`` calls and context switches (``perf
stat`` tracepoints, root or a permissive ``perf_event_paranoid``).

``--instructions`` counts instead of timing (the figure a shared, noisy machine cannot move):
each server runs under valgrind's callgrind while one client process does 1,000 and then, in
a second run, 5,000 small echoes over ``--conns`` connections; the difference in user-space
instructions ÷ 4,000 is what one round-trip costs the server (kernel time is not counted;
it is the same for both servers: one ``read`` and one ``write`` per round-trip).
``--keep DIR --breakdown`` keeps the profiles and prints inclusive counts per function.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import importlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aioweb.http.websocket import (  # noqa: E402
    OP_BINARY,
    OP_TEXT,
    FrameReader,
    FrameWriter,
)

CLK_TCK = os.sysconf("SC_CLK_TCK")
SMALL = b"x" * 32
BURST = 50
WORKLOADS = ("small", "small-await", "burst", "1mib")
UNITS = {
    "small": "round-trips/s",
    "small-await": "round-trips/s",
    "burst": "messages/s",
    "1mib": "MB/s",
}
# What --syscalls counts on the server (perf's tracepoints), per operation.
SYSCALL_EVENTS = {
    "context-switches": "cs",
    "syscalls:sys_enter_read": "read",
    "syscalls:sys_enter_write": "write",
    "syscalls:sys_enter_epoll_pwait": "epoll",
    "syscalls:sys_enter_getpid": "getpid",
}
BIG = os.urandom(1 << 20)


# --------------------------------------------------------------------------- server side


def serve(framework: str, port: int) -> None:
    """Run the echo app on ``framework`` until killed: ``aiohttp`` or ``aioweb``, or one of
    the floors (``floor``, ``floor-deferred``)."""
    if framework.startswith("floor"):
        sys.path.insert(0, str(ROOT / "bench" / "apps"))
        from ws_floor import run_floor

        run_floor(port, deferred=framework == "floor-deferred")
        return
    web: Any = importlib.import_module("aiohttp.web" if framework == "aiohttp" else "aioweb")

    async def echo(request: Any) -> Any:
        ws = web.WebSocketResponse(max_msg_size=2 << 20, compress=False)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == web.WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# --------------------------------------------------------------------------- client side


class _Client(asyncio.Protocol):
    """One raw WebSocket connection doing request/response echoes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.head = b""
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.reader = FrameReader(require_mask=False, max_msg_size=0)
        self.writer = FrameWriter(mask=True)
        self.waiter: asyncio.Future[Any] | None = None
        self.expect = 1
        self.got: list[Any] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            (
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        if not self.upgraded.done():
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.head.startswith(b"HTTP/1.1 101"):
                self.upgraded.set_exception(RuntimeError(self.head[:200].decode()))
                return
            data = self.head[end + 4 :]
            self.upgraded.set_result(None)
        for msg in self.reader.feed(data):
            self.got.append(msg)
            waiter = self.waiter
            if len(self.got) >= self.expect and waiter is not None and not waiter.done():
                waiter.set_result(self.got)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("lost"))

    async def echo(self, payload: bytes, op: int, count: int = 1) -> Any:
        """Send ``count`` copies of the message in one write; wait for as many echoes."""
        self.waiter = asyncio.get_running_loop().create_future()
        self.expect = count
        self.got = []
        assert self.transport is not None
        frame = self.writer.message(payload, op)
        self.transport.write(frame * count)
        return await self.waiter


class _LeanPing(_Client):
    """A ping-pong connection that costs the client next to nothing per round-trip: it
    sends one prebuilt masked frame, checks the echo by comparing bytes with the frame it
    must get back, and sends the next frame right from ``data_received`` (no future, no
    task step). So the server, not the client, sets the pace of the ``small`` workload."""

    def __init__(self) -> None:
        super().__init__()
        self.frame = self.writer.message(SMALL, OP_TEXT)
        self.expected = FrameWriter(mask=False).message(SMALL, OP_TEXT)
        self.buf = b""
        self.count = 0
        self.running = False
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def start(self) -> None:
        self.running = True
        assert self.transport is not None
        self.transport.write(self.frame)

    def data_received(self, data: bytes) -> None:
        if not self.upgraded.done():
            super().data_received(data)
            return
        if self.buf:
            data = self.buf + data
        expected = self.expected
        n = len(expected)
        while len(data) >= n:
            if data[:n] != expected:
                raise RuntimeError(f"unexpected echo {data[:40]!r}")
            data = data[n:]
            self.count += 1
            if self.running:
                self.transport.write(self.frame)  # type: ignore[union-attr]
            elif not self.done.done():
                self.done.set_result(None)
        self.buf = data


async def _lean_load(port: int, conns: int, seconds: float) -> int:
    loop = asyncio.get_running_loop()
    clients: list[_LeanPing] = []
    for _ in range(conns):
        _, proto = await loop.create_connection(_LeanPing, "127.0.0.1", port)
        await proto.upgraded
        clients.append(proto)
    for c in clients:
        c.start()
    await asyncio.sleep(seconds)
    counts = [c.count for c in clients]
    for c in clients:
        c.running = False
    await asyncio.wait_for(asyncio.gather(*(c.done for c in clients)), 30)
    for c in clients:
        assert c.transport is not None
        c.transport.write(c.writer.close(1000))
        c.transport.close()
    return sum(counts)


async def _connect(port: int) -> _Client:
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(_Client, "127.0.0.1", port)
    await proto.upgraded
    return proto


async def _load(
    port: int, conns: int, seconds: float, payload: bytes, op: int, burst: int = 1
) -> int:
    clients = [await _connect(port) for _ in range(conns)]
    deadline = time.monotonic() + seconds
    counts = [0] * conns

    async def loop_one(i: int) -> None:
        c = clients[i]
        while time.monotonic() < deadline:
            msgs = await c.echo(payload, op, burst)
            if any(m.type != op for m in msgs):
                break  # the server went away
            assert len(msgs[-1].data) == len(payload)
            counts[i] += len(msgs)

    await asyncio.wait_for(asyncio.gather(*(loop_one(i) for i in range(conns))), seconds + 30)
    for c in clients:
        assert c.transport is not None
        c.transport.write(c.writer.close(1000))
        c.transport.close()
    return sum(counts)


async def _fixed(port: int, conns: int, count: int) -> None:
    """``count`` small echoes spread over ``conns`` connections, then a clean close."""
    clients = [await _connect(port) for _ in range(conns)]

    async def one(c: _Client, n: int) -> None:
        for _ in range(n):
            msgs = await c.echo(SMALL, OP_TEXT)
            assert msgs[-1].data == SMALL.decode()

    await asyncio.gather(*(one(c, count // conns) for c in clients))
    for c in clients:
        assert c.transport is not None
        c.transport.write(c.writer.close(1000))
        c.transport.close()
    await asyncio.sleep(0.2)


def count_instructions(framework: str, conns: int, keep: Path | None = None) -> int:
    """Server instructions per small round-trip: two callgrind runs, 1,000 and 5,000 echoes
    (``keep``: the directory that keeps both profiles, for ``--breakdown``)."""
    totals = []
    for n in (1000, 5000):
        port = _free_port()
        out = "/dev/null" if keep is None else str(keep / f"{framework}-{n}.callgrind")
        proc = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--serve",
                framework,
                "--port",
                str(port),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                    break
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{framework} server did not start under valgrind")
                time.sleep(0.3)
            for count in (200, n):  # a warm-up, the same in both runs, then the measured echoes
                subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--client-count",
                        str(count),
                        "--port",
                        str(port),
                        "--conns",
                        str(conns),
                    ],
                    check=True,
                    timeout=600,
                )
            proc.send_signal(signal.SIGINT)
            err = proc.communicate(timeout=300)[1]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        found = re.search(r"Collected : (\d+)", err)
        if found is None:
            raise SystemExit(f"callgrind gave no count:\n{err[-2000:]}")
        totals.append(int(found.group(1)))
    return (totals[1] - totals[0]) // 4000


def breakdown(keep: Path, framework: str) -> None:
    """Where one round-trip goes: inclusive instructions per function (compiled code, the
    event loop, the C libraries; interpreted Python shows inside its callers), the 5,000-echo
    profile minus the 1,000-echo one, ÷ 4,000."""
    sys.path.insert(0, str(ROOT / "bench"))
    from instructions import inclusive

    base = inclusive(keep / f"{framework}-1000.callgrind")
    more = inclusive(keep / f"{framework}-5000.callgrind")
    rows = sorted(((more[k] - base.get(k, 0)) // 4000, k) for k in more)
    print(f"\n{framework}: inclusive instructions per round-trip")
    for per_op, name in reversed(rows):
        if per_op >= 100:
            print(f"{per_op:>9,}  {name[:110]}")


def client_main(port: int, conns: int, seconds: float, workload: str) -> None:
    """Run one workload and print the completed round-trip count."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    if workload == "small":
        n = asyncio.run(_lean_load(port, conns, seconds))
    elif workload == "small-await":
        n = asyncio.run(_load(port, conns, seconds, SMALL, OP_TEXT))
    elif workload == "burst":
        n = asyncio.run(_load(port, 8, seconds, SMALL, OP_TEXT, burst=BURST))
    else:
        n = asyncio.run(_load(port, 4, seconds, BIG, OP_BINARY))
    print(n)


# --------------------------------------------------------------------------- orchestration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pin(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and os.cpu_count() != 1 else []


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _server_command(framework: str, port: int) -> tuple[list[str], Path]:
    """``NAME`` runs here; ``NAME@TREE`` runs NAME from another checkout (its own compiled
    modules and its ``.venv`` when it has one): a change and its baseline in the same run."""
    name, _, tree = framework.partition("@")
    root = Path(tree) if tree else ROOT
    python = root / ".venv" / "bin" / "python"
    exe = str(python) if tree and python.exists() else sys.executable
    script = str(root / "bench" / "bench_websocket.py")
    return [*_pin(0), exe, script, "--serve", name, "--port", str(port)], root


@contextlib.contextmanager
def _server(framework: str):  # type: ignore[no-untyped-def]
    port = _free_port()
    command, root = _server_command(framework, port)
    proc = subprocess.Popen(command, cwd=root)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{framework} server did not start")
            time.sleep(0.1)
        yield proc, port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _run(
    framework: str, workload: str, conns: int, seconds: float, syscalls: bool = False
) -> tuple[float, float, dict[str, float]]:
    """(operations per second, server CPU microseconds per operation, and with ``syscalls``
    the server's system calls and context switches per operation, counted by ``perf``)."""
    with _server(framework) as (proc, port):
        perf = None
        if syscalls:
            perf = subprocess.Popen(
                ["perf", "stat", "-x,", "-e", ",".join(SYSCALL_EVENTS), "-p", str(proc.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(0.3)  # (perf attaches)
        before = _cpu_seconds(proc.pid)
        started = time.monotonic()
        out = subprocess.run(
            [
                *_pin(1),
                sys.executable,
                __file__,
                "--client",
                workload,
                "--port",
                str(port),
                "--conns",
                str(conns),
                "--seconds",
                str(seconds),
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
        elapsed = time.monotonic() - started
        cpu = _cpu_seconds(proc.pid) - before
        counts: dict[str, float] = {}
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            for line in perf.communicate(timeout=30)[1].splitlines():
                fields = line.split(",")
                if len(fields) > 2 and fields[2] in SYSCALL_EVENTS and fields[0].isdigit():
                    counts[SYSCALL_EVENTS[fields[2]]] = int(fields[0])
    n = int(out.stdout.strip().splitlines()[-1])
    # elapsed includes client start-up; the client ran its loop for `seconds`.
    del elapsed
    per_op = {name: count / max(n, 1) for name, count in counts.items()}
    return n / seconds, cpu / max(n, 1) * 1e6, per_op


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serve")
    ap.add_argument("--client")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--frameworks", nargs="+", default=["aiohttp", "aioweb"])
    ap.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    ap.add_argument("--client-count", type=int, default=0)
    ap.add_argument("--instructions", action="store_true", help="count with callgrind")
    ap.add_argument("--keep", help="with --instructions: keep the callgrind profiles here")
    ap.add_argument("--breakdown", action="store_true", help="per function (needs --keep)")
    ap.add_argument(
        "--syscalls", action="store_true", help="count the server's syscalls per op (perf)"
    )
    args = ap.parse_args()
    if args.client_count:
        import uvloop

        uvloop.run(_fixed(args.port, args.conns, args.client_count))
        return
    if args.instructions:
        keep = Path(args.keep) if args.keep else None
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
        counts = {fw: count_instructions(fw, args.conns, keep) for fw in args.frameworks}
        for fw, n in counts.items():
            print(f"small {fw:8} {n:,} instructions per round-trip ({args.conns} connections)")
        if {"aiohttp", "aioweb"} <= set(counts):
            print(f"small ratio: x{counts['aiohttp'] / counts['aioweb']:.2f} fewer instructions")
        if keep is not None and args.breakdown:
            for fw in args.frameworks:
                breakdown(keep, fw)
        return
    if args.serve:
        serve(args.serve, args.port)
        return
    if args.client:
        client_main(args.port, args.conns, args.seconds, args.client)
        return

    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for rnd in range(args.rounds):
        order = args.frameworks if rnd % 2 == 0 else list(reversed(args.frameworks))
        for workload in args.workloads:
            for fw in order:
                ops, cpu_us, calls = _run(fw, workload, args.conns, args.seconds, args.syscalls)
                results.setdefault((fw, workload), []).append((ops, cpu_us))
                unit = UNITS[workload]
                value = ops * len(BIG) / 1e6 if workload == "1mib" else ops
                per_op = "".join(f" {k} {v:.3f}" for k, v in calls.items())
                print(
                    f"round {rnd + 1} {workload:11} {fw:8} {value:12.1f} {unit}"
                    f"  server CPU {cpu_us:9.2f} us/op{per_op}",
                    flush=True,
                )
    _summary(args.frameworks, args.workloads, results)


def _summary(
    frameworks: list[str],
    workloads: list[str],
    results: dict[tuple[str, str], list[tuple[float, float]]],
) -> None:
    print("\nmedian over rounds (ratios against aiohttp, per round):")
    for workload in workloads:
        unit = UNITS[workload]
        scale = len(BIG) / 1e6 if workload == "1mib" else 1.0
        for fw in frameworks:
            ops = statistics.median(r[0] for r in results[(fw, workload)]) * scale
            cpu = statistics.median(r[1] for r in results[(fw, workload)])
            print(f"  {workload:11} {fw:8} {ops:12.1f} {unit:14} server CPU {cpu:9.2f} us/op")
        if "aiohttp" not in frameworks:
            continue
        b = results[("aiohttp", workload)]
        for fw in frameworks:
            if fw == "aiohttp":
                continue
            a = results[(fw, workload)]
            speeds = [x[0] / y[0] for x, y in zip(a, b, strict=True)]
            cpus = [y[1] / x[1] for x, y in zip(a, b, strict=True)]
            print(
                f"  {workload:11} {fw}: throughput x{statistics.median(speeds):.2f} "
                f"({min(speeds):.2f}-{max(speeds):.2f}), server CPU per op "
                f"x{statistics.median(cpus):.2f} ({min(cpus):.2f}-{max(cpus):.2f}) "
                "less than aiohttp"
            )


if __name__ == "__main__":
    main()
