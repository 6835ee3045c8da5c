"""A bounded soak: mixed load on aioweb for minutes, watching the server's memory (run on demand).

    .venv/bin/python bench/soak.py [--seconds 180] [--clients 8] [--kinds ws-deflate ...]

``bench/apps/robust_app.py`` runs in a subprocess (pinned to CPU 0, as in ``run.py``); this
process (pinned to CPU 1) runs ``--clients`` aiohttp-client tasks for ``--seconds``.  Each task
cycles through the kinds of request (starting at a different one), so the mix is the same in
every run: plaintext, JSON, a variable route, a 16 KiB POST echo, a multipart form POST, static
files (256 KiB, and a page with a pre-compressed sibling) and WebSocket echo sessions of 20
messages with and without permessage-deflate.  Even-numbered tasks keep their connections
alive; odd ones open a new connection for every request or session (churn).  Every answer is
checked; a wrong one counts as an error.

The server's RSS (``VmRSS`` in ``/proc/<pid>/status``) is sampled every second.  Reported: RSS
at the start (server up, no load yet), the peak, at the end of the load, and after 5 s idle;
the requests done and the errors per kind.  The load is modest on purpose (the machine is
shared).  The report is printed and written to ``bench/results/<date>-soak.md``.

``--kinds`` narrows the mix: ``--kinds ws-deflate`` alone (8 compressed sessions at a time,
half of them on new connections) is the load under which issue 11 saw RSS held at 74-99 MB;
``--kinds ws`` is its uncompressed control.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "apps"))

from robust import (
    FRAMEWORKS,
    RunningServer,
    load_average,
    log_errors,
    peak_rss,
    start,
    static_tree,
    versions,
    write_results,
)
from robust_app import BIG_SIZE, HELLO
from run import CLIENT_CPU, SERVER_CPU

ECHO = os.urandom(16 * 1024)
WS_MESSAGES = 20
IDLE_AFTER = 5.0
OP_TIMEOUT = aiohttp.ClientTimeout(total=15)


class Wrong(Exception):
    """An answer that is not what the app sends."""


Op = Callable[[aiohttp.ClientSession, str], Awaitable[int]]  # returns messages exchanged


async def _get(session: aiohttp.ClientSession, url: str, **kw: object) -> bytes:
    async with session.get(url, **kw) as resp:  # type: ignore[arg-type]
        body = await resp.read()
        if resp.status != 200:
            raise Wrong(f"status {resp.status}")
        return body


async def plaintext(session: aiohttp.ClientSession, base: str) -> int:
    if await _get(session, base + "/") != HELLO.encode():
        raise Wrong("plaintext body")
    return 1


async def json_op(session: aiohttp.ClientSession, base: str) -> int:
    async with session.get(base + "/json") as resp:
        if resp.status != 200 or (await resp.json()) != {"message": HELLO}:
            raise Wrong(f"json: status {resp.status}")
    return 1


async def param(session: aiohttp.ClientSession, base: str) -> int:
    if await _get(session, base + "/user/42") != b"user 42":
        raise Wrong("param body")
    return 1


async def post_echo(session: aiohttp.ClientSession, base: str) -> int:
    async with session.post(base + "/echo", data=ECHO) as resp:
        if resp.status != 200 or await resp.read() != ECHO:
            raise Wrong(f"echo: status {resp.status}")
    return 1


async def form(session: aiohttp.ClientSession, base: str) -> int:
    data = aiohttp.FormData()
    data.add_field("note", "soak")
    data.add_field("file", ECHO[:4096], filename="blob.bin", content_type="application/x-blob")
    async with session.post(base + "/form", data=data) as resp:
        got = await resp.json() if resp.status == 200 else None
    if got != {"note": "soak", "file": {"filename": "blob.bin", "size": 4096}}:
        raise Wrong(f"form: {got!r}")
    return 1


async def static(session: aiohttp.ClientSession, base: str) -> int:
    if len(await _get(session, base + "/static/big.bin")) != BIG_SIZE:
        raise Wrong("static big.bin length")
    page = await _get(session, base + "/static/page.html", headers={"Accept-Encoding": "gzip"})
    if not page.startswith(b"<!doctype html>"):
        raise Wrong("static page.html body")
    return 2


def websocket(compress: int) -> Op:
    """A WebSocket session of ``WS_MESSAGES`` echoes, text and binary, 32 B to 8 KiB."""

    async def op(session: aiohttp.ClientSession, base: str) -> int:
        async with session.ws_connect(base + "/ws", compress=compress) as ws:
            if compress and not ws.compress:
                raise Wrong("permessage-deflate not negotiated")
            for i in range(WS_MESSAGES):
                if i % 2:
                    data = (b"binary %d " % i) * (1 + i * 40)
                    await ws.send_bytes(data)
                    same = await ws.receive_bytes(timeout=10) == data
                else:
                    text = f"text {i} " * (1 + i * 4)
                    await ws.send_str(text)
                    same = await ws.receive_str(timeout=10) == text
                if not same:
                    raise Wrong("websocket echo differs")
        return WS_MESSAGES

    return op


KINDS: dict[str, Op] = {
    "plaintext": plaintext,
    "json": json_op,
    "param": param,
    "post-echo-16k": post_echo,
    "form-post": form,
    "static": static,
    "ws": websocket(0),
    "ws-deflate": websocket(15),
}


@dataclass
class Tally:
    ops: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    first_error: dict[str, str] = field(default_factory=dict)


async def client(n: int, base: str, kinds: list[str], stop: asyncio.Event, tally: Tally) -> None:
    """One load task: keep-alive when ``n`` is even, a new connection per operation when odd."""
    connector = aiohttp.TCPConnector(limit=1, force_close=bool(n % 2))
    async with aiohttp.ClientSession(connector=connector, timeout=OP_TIMEOUT) as session:
        i = n
        while not stop.is_set():
            kind = kinds[i % len(kinds)]
            i += 1
            try:
                done = await KINDS[kind](session, base)  # (not inside +=: other tasks add too)
                tally.messages[kind] += done
                tally.ops[kind] += 1
            except (Wrong, aiohttp.ClientError, TimeoutError, OSError) as exc:
                tally.errors[kind] += 1
                tally.first_error.setdefault(kind, f"{type(exc).__name__}: {exc}"[:120])


@dataclass
class Memory:
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds, RSS bytes)

    async def sample(self, server: RunningServer, t0: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.samples.append((time.monotonic() - t0, server.rss_bytes()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


async def soak(
    framework: str, seconds: float, clients: int, kinds: list[str]
) -> tuple[str, dict[str, str]]:
    with static_tree() as root:
        server = await asyncio.to_thread(start, framework, root, None, {SERVER_CPU})
        try:
            base = f"http://127.0.0.1:{server.port}"
            rss_start = server.rss_bytes()
            tally, memory = Tally(), Memory()
            stop_load, stop_sampling = asyncio.Event(), asyncio.Event()
            t0 = time.monotonic()
            sampler = asyncio.create_task(memory.sample(server, t0, stop_sampling))
            tasks = [
                asyncio.create_task(client(n, base, kinds, stop_load, tally))
                for n in range(clients)
            ]
            await asyncio.sleep(seconds)
            stop_load.set()
            await asyncio.wait_for(asyncio.gather(*tasks), OP_TIMEOUT.total or 15)
            load_seconds = time.monotonic() - t0
            rss_load_end = server.rss_bytes()
            await asyncio.sleep(IDLE_AFTER)
            stop_sampling.set()
            await sampler
            rss_idle = server.rss_bytes()
            hwm = peak_rss(server)
            alive = server.proc.poll() is None
            tracebacks = log_errors(server)
        finally:
            server.stop()
    peak_t, peak = max(memory.samples, key=lambda s: s[1])
    figures = {
        "RSS at start": mib(rss_start),
        "RSS peak": f"{mib(peak)} (at {peak_t:.0f} s; between samples the kernel saw at most "
        f"{mib(hwm)})",
        "RSS at the end of the load": mib(rss_load_end),
        f"RSS after {IDLE_AFTER:.0f} s idle": mib(rss_idle),
        "requests done": f"{sum(tally.ops.values()):,} operations "
        f"({sum(tally.messages.values()):,} requests + WebSocket messages) "
        f"in {load_seconds:.0f} s",
        "errors": str(sum(tally.errors.values())),
        "server": ("still running" if alive else "**exited**")
        + (f", {tracebacks} traceback(s) in its log" if tracebacks else ""),
    }
    lines = [
        "| kind | operations | messages | errors | first error |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind in kinds:
        lines.append(
            f"| {kind} | {tally.ops[kind]:,} | {tally.messages[kind]:,} | {tally.errors[kind]} "
            f"| {tally.first_error.get(kind, '').replace('|', '/')} |"
        )
    step = max(1, len(memory.samples) // 12)
    timeline = ", ".join(f"{t:.0f}s {s / 2**20:.0f}" for t, s in memory.samples[::step])
    body = "\n".join([*lines, "", f"RSS timeline (MiB): {timeline}"])
    return body, figures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=180.0, help="length of the load")
    p.add_argument("--clients", type=int, default=8, help="concurrent client tasks")
    p.add_argument("--kinds", nargs="+", choices=list(KINDS), default=list(KINDS))
    p.add_argument("--framework", choices=FRAMEWORKS, default="aioweb")
    p.add_argument("--no-write", action="store_true", help="print only; write no results file")
    args = p.parse_args(argv)
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {CLIENT_CPU})
    load = load_average()
    body, figures = asyncio.run(soak(args.framework, args.seconds, args.clients, args.kinds))
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = "\n".join(
        [
            f"# Soak: {args.framework}, {args.seconds:.0f} s, {args.clients} clients — {stamp}",
            "",
            f"{versions()}. Load average {load} at the start, {load_average()} at the end. "
            f"Command: `.venv/bin/python bench/soak.py --seconds {args.seconds:g} "
            f"--clients {args.clients}`"
            + (f" `--kinds {' '.join(args.kinds)}`" if args.kinds != list(KINDS) else ""),
            "",
            *(f"- {k}: {v}" for k, v in figures.items()),
            "",
            body,
        ]
    )
    print(text)
    if not args.no_write:
        kind = "soak" if args.framework == "aioweb" else f"soak-{args.framework}"
        print(f"written to {write_results(kind, text)}")
    return 0 if figures["errors"] == "0" else 1


if __name__ == "__main__":
    sys.exit(main())
