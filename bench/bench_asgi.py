"""The ASGI adapter's cost: aioweb through ``to_asgi`` under uvicorn and granian, against
Starlette on the same servers and against aioweb's own server, in the same run.

    .venv/bin/python bench/bench_asgi.py [--rounds 3] [--seconds 4] [--profile]

One handler per framework, written the idiomatic way: ``GET /`` answers ``hello`` as
text/plain, ``GET /json`` a small JSON object.  Five servers:

* ``aioweb``: aioweb's own server (``AppRunner`` + ``SockSite``, uvloop): the fast path;
* ``aioweb+uvicorn`` / ``starlette+uvicorn``: uvicorn, httptools + uvloop, one process;
* ``aioweb+granian`` / ``starlette+granian``: granian ``--interface asgi``, one worker, one
  runtime thread.

Method (as bench/bench_ecosystem.py): the server is pinned to CPU 0 and wrk (1 thread, 32
connections) to CPU 1; rounds alternate the servers; the figure that survives a shared, noisy
machine is the server's CPU time per request (its process tree, from /proc), and ratios are
taken per round and their median reported.  ``--profile`` samples aioweb+uvicorn under load
with py-spy and splits the time between uvicorn, the adapter, the framework and the rest.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVERS = ("aioweb", "aioweb+uvicorn", "starlette+uvicorn", "aioweb+granian", "starlette+granian")
PATHS = ("/", "/json")
PAYLOAD = {"message": "hello", "items": [1, 2, 3]}

# --------------------------------------------------------------------------- applications


def aioweb_app() -> Any:
    from aioweb import web

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def as_json(request: web.Request) -> web.Response:
        return web.json_response(PAYLOAD)

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/json", as_json)
    return app


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("hello")

    async def as_json(request: Any) -> JSONResponse:
        return JSONResponse(PAYLOAD)

    return Starlette(routes=[Route("/", hello), Route("/json", as_json)])


def asgi_aioweb() -> Any:
    from aioweb.asgi import to_asgi

    return to_asgi(aioweb_app(), server_header=False, date_header=False)


# --------------------------------------------------------------------------- server side


def serve_aioweb(port: int) -> None:
    import uvloop

    from aioweb import web

    uvloop.install()
    web.run_app(aioweb_app(), host="127.0.0.1", port=port, access_log=None, print=None)


def command(server: str, port: int) -> list[str]:
    framework, _, runner = server.partition("+")
    target = f"bench.bench_asgi:{'asgi_aioweb' if framework == 'aioweb' else 'starlette_app'}"
    if not runner:
        cmd = [sys.executable, __file__, "--serve", str(port)]
    elif runner == "uvicorn":
        cmd = [str(BIN / "uvicorn"), target, "--factory", "--port", str(port), "--loop", "uvloop"]
        cmd += ["--http", "httptools", "--no-access-log", "--log-level", "warning"]
        cmd += ["--no-server-header", "--no-date-header"] if framework == "aioweb" else []
    else:
        cmd = [str(BIN / "granian"), target, "--factory", "--interface", "asgi", "--port"]
        cmd += [str(port), "--workers", "1", "--runtime-threads", "1", "--loop", "uvloop"]
        cmd += ["--no-ws", "--log-level", "warning"]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    return cmd


def start(server: str) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen(
        command(server, port), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(0.3)  # (granian: the worker binds after the listener)
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{server} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(2)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tree_cpu(pid: int) -> float:
    """User+system CPU seconds of ``pid`` and its descendants (granian's worker is a child)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children[int(fields[1])].append(int(entry.name))
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += times.get(p, 0.0)
        todo.extend(children.get(p, []))
    return total


def wrk(port: int, path: str, seconds: float) -> tuple[float, int]:
    cmd = ["wrk", "-t1", "-c32", f"-d{max(1, round(seconds))}s", f"http://127.0.0.1:{port}{path}"]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "1", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"{path}: errors\n{out}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if rate is None or total is None:
        raise RuntimeError(f"wrk output not understood:\n{out}")
    return float(rate.group(1)), int(total.group(1))


def check(port: int) -> None:
    """Every server must give the same answers before its speed counts."""
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        assert client.get("/").text == "hello"
        assert client.get("/json").json() == PAYLOAD


Result = dict[str, dict[str, list[tuple[float, float]]]]  # path -> server -> [(rate, cpu µs)]


def run(rounds: int, seconds: float) -> Result:
    results: Result = {path: {s: [] for s in SERVERS} for path in PATHS}
    for r in range(rounds):
        order = SERVERS if r % 2 == 0 else tuple(reversed(SERVERS))
        for server in order:
            proc, port = start(server)
            try:
                check(port)
                wrk(port, "/", 1)  # warm-up
                for path in PATHS:
                    before = tree_cpu(proc.pid)
                    rate, total = wrk(port, path, seconds)
                    cpu = (tree_cpu(proc.pid) - before) * 1e6 / max(total, 1)
                    results[path][server].append((rate, cpu))
                    print(f"round {r + 1} {server:18} {path:6} {rate:9.0f} req/s {cpu:6.1f} µs/req")
            finally:
                stop(proc)
    return results


def report(results: Result, rounds: int, seconds: float) -> str:
    lines = [
        f"# ASGI adapter cost ({rounds} rounds x {seconds:g} s, wrk -c32; server on CPU 0)",
        "",
        "| path | server | req/s | server CPU µs/req | CPU vs aioweb's own | CPU vs Starlette, same server |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for path, per_server in results.items():
        own = per_server["aioweb"]
        for server, runs in per_server.items():
            rate = statistics.median(x[0] for x in runs)
            cpu = statistics.median(x[1] for x in runs)
            vs_own = statistics.median(x[1] / o[1] for x, o in zip(runs, own, strict=True))
            peer = server.replace("aioweb+", "starlette+")
            vs_peer = "-"
            if server.startswith("aioweb+"):
                pairs = zip(runs, per_server[peer], strict=True)
                vs_peer = f"{statistics.median(x[1] / p[1] for x, p in pairs):.2f}x"
            lines.append(
                f"| {path} | {server} | {rate:.0f} | {cpu:.1f} | {vs_own:.2f}x | {vs_peer} |"
            )
    return "\n".join(lines)


# --------------------------------------------------------------------------- profile

_BUCKETS = (
    ("adapter (aioweb/integrations/asgi)", "aioweb/integrations/asgi/"),
    ("uvicorn", "uvicorn/"),
    ("aioweb framework (routing, request, response)", "aioweb/"),
    ("asyncio / uvloop event loop", "asyncio/"),
)


def profile(seconds: float) -> str:
    """Sample aioweb+uvicorn under wrk with py-spy; inclusive share of each layer, by the
    innermost frame of the layers above that is on the stack (self time of each bucket)."""
    pyspy = BIN / "py-spy"
    proc, port = start("aioweb+uvicorn")
    out = Path(tempfile.mkdtemp()) / "stacks.txt"
    try:
        spy = subprocess.Popen(
            [str(pyspy), "record", "-r", "400", "-d", str(int(seconds) + 1), "-f", "raw",
             "-o", str(out), "--pid", str(proc.pid)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.5)
        wrk(port, "/", seconds)
        spy.wait(30)
    finally:
        stop(proc)
    counts: collections.Counter[str] = collections.Counter()
    functions: collections.Counter[str] = collections.Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        samples = int(n)
        total += samples
        leaf = frames[-1]
        bucket = "other (C code, httptools, idle)"
        for frame in reversed(frames):
            found = next((name for name, key in _BUCKETS if key in frame), None)
            if found is not None:
                bucket = found
                break
        counts[bucket] += samples
        if "aioweb/integrations/asgi/" in leaf or "aioweb/" in leaf:
            functions[leaf.split(" (")[0] + " " + leaf.split("/")[-1].rstrip(")")] += samples
    lines = ["", f"## Where aioweb+uvicorn's time goes (py-spy, {total} samples, self time)", ""]
    lines += [f"- {name}: {100 * c / max(total, 1):.1f}%" for name, c in counts.most_common()]
    lines += ["", "Top aioweb functions (self):", ""]
    lines += [f"- {f}: {100 * c / max(total, 1):.1f}%" for f, c in functions.most_common(12)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_aioweb(args.serve)
        return
    text = report(run(args.rounds, args.seconds), args.rounds, args.seconds)
    if args.profile:
        text += "\n" + profile(args.seconds)
    print(text)
    out = ROOT / "bench" / "results" / time.strftime("%Y-%m-%d-%H%M-asgi.md")
    out.write_text(text + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
