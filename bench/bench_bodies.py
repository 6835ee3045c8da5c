"""Bodies and files benchmark: aioweb against aiohttp, measured in the same run.

    .venv/bin/python bench/bench_bodies.py [--rounds 3] [--seconds 4] [--quick]

Workloads (one application, ``tests/upload_server.py``-style, written once for both
frameworks; only the import differs):

* ``post64k``: ``POST /echo`` with a 64 KiB body, read with ``await request.read()`` and sent
  back; ``wrk -c16``. Reported as requests/s and server CPU per request.
* ``static1m``: ``GET /static/1m.bin`` from ``add_static`` (aioweb: zero-copy sendfile; aiohttp:
  its own sendfile path); ``wrk -c16``. Requests/s and server CPU per request.
* ``upload100m``: a 100 MiB multipart upload (curl ``-F``) streamed to disk by the cheat sheet's
  mp3 handler (``reader.next()`` / ``field.read_chunk()``, 8 KiB chunks as written). Reported
  as seconds per upload (median of 3), the server's CPU seconds per upload, and its peak RSS
  growth over its idle RSS.

Method: servers run on uvloop with the access log off, pinned to CPU 0 (``taskset``); wrk and
curl are pinned to CPU 1. The machine is shared and noisy, so the server's CPU time per request
(user+sys from /proc) is reported beside req/s; it is the figure that survives noise. Rounds
alternate the servers; ratios are computed per round and shown as the median (min-max). Load
goes to 127.0.0.1 only and every run is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVER_CPU, CLIENT_CPU = "0", "1"

APP = textwrap.dedent(
    """
    import asyncio, os, sys
    if sys.argv[1] == "aiohttp":
        from aiohttp import web
    else:
        sys.path.insert(0, sys.argv[5])
        from aioweb import web
    PORT, SPOOL, STATIC = int(sys.argv[2]), sys.argv[3], sys.argv[4]

    async def echo(request):
        return web.Response(body=await request.read())

    async def store_mp3_handler(request):
        reader = await request.multipart()
        field = await reader.next()
        name = await field.read(decode=True)
        field = await reader.next()
        filename = field.filename
        size = 0
        with open(os.path.join(SPOOL, filename), "wb") as f:
            while True:
                chunk = await field.read_chunk()
                if not chunk:
                    break
                size += len(chunk)
                f.write(chunk)
        return web.Response(text=f"{filename} sized of {size} successfully stored")

    async def rss(request):
        out = {}
        with open("/proc/self/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])
        return web.json_response(out)

    async def main():
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_post("/echo", echo)
        app.router.add_post("/mp3", store_mp3_handler)
        app.router.add_get("/rss", rss)
        app.router.add_static("/static", STATIC)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", PORT).start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    import uvloop
    uvloop.run(main())
    """
)

POST_LUA = (
    'wrk.method = "POST"\n'
    'wrk.body = string.rep("x", 65536)\n'
    'wrk.headers["Content-Type"] = "application/octet-stream"\n'
)
REPORT_LUA = """
done = function(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests":%d,"errors":%d,"status":%d}\\n',
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.errors.status))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


class Server:
    def __init__(self, framework: str, workdir: Path) -> None:
        self.framework = framework
        self.port = free_port()
        self.spool = workdir / f"spool-{framework}"
        self.spool.mkdir(exist_ok=True)
        script = workdir / "app.py"
        script.write_text(APP)
        cmd = [PY, str(script), framework, str(self.port), str(self.spool),
               str(workdir / "static"), str(ROOT)]  # fmt: skip
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", SERVER_CPU, *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != b"ready":
            raise RuntimeError(f"{framework} server did not start")

    def rss(self) -> dict[str, int]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/rss", timeout=10) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        for f in self.spool.iterdir():
            f.unlink()


def wrk(server: Server, path: str, seconds: float, lua: str = "") -> tuple[float, float]:
    """(requests/s, server CPU µs per request)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua + REPORT_LUA)
        script = f.name
    cmd = ["wrk", "-t1", "-c16", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s",
           script, f"http://127.0.0.1:{server.port}{path}"]  # fmt: skip
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", CLIENT_CPU, *cmd]
    pid = server.proc.pid
    before, t0 = cpu_ticks(pid), time.monotonic()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(script)
    elapsed = time.monotonic() - t0
    used = (cpu_ticks(pid) - before) / CLK_TCK
    result = next(json.loads(line[8:]) for line in out.splitlines() if line.startswith("WRKJSON "))
    if result["errors"] or result["status"]:
        raise RuntimeError(f"{server.framework} {path}: wrk errors {result}")
    n = max(result["requests"], 1)
    return n / elapsed, used / n * 1e6


def upload(server: Server, source: Path) -> tuple[float, float, float]:
    """(seconds, server CPU seconds, peak RSS growth MiB) for one streamed upload."""
    base = server.rss()["VmRSS"]
    ticks = cpu_ticks(server.proc.pid)
    cmd = ["curl", "-s", "--max-time", "300", "-F", "name=bench", "-F",
           f"mp3=@{source};filename=up.bin", f"http://127.0.0.1:{server.port}/mp3"]  # fmt: skip
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", CLIENT_CPU, *cmd]
    t0 = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, timeout=330, check=True).stdout.decode()
    elapsed = time.monotonic() - t0
    cpu = (cpu_ticks(server.proc.pid) - ticks) / CLK_TCK
    if f"sized of {source.stat().st_size}" not in out:
        raise RuntimeError(f"{server.framework} upload failed: {out[:200]}")
    return elapsed, cpu, (server.rss()["VmHWM"] - base) / 1024


def check(server: Server) -> None:
    req = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/echo", data=b"x" * 65536, method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.read() == b"x" * 65536
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/static/1m.bin", timeout=10) as r:
        assert len(r.read()) == 1024 * 1024


def summarize(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--quick", action="store_true", help="1 round, 2 s runs")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 1, 2.0
    if not shutil.which("wrk") or not shutil.which("curl"):
        sys.exit("needs wrk and curl (Debian packages)")

    frameworks = ["aioweb", "aiohttp"]
    results: dict[str, dict[str, list[float]]] = {f: {} for f in frameworks}
    with tempfile.TemporaryDirectory(prefix="aioweb-bench-bodies-") as tmp:
        work = Path(tmp)
        (work / "static").mkdir()
        (work / "static" / "1m.bin").write_bytes(os.urandom(1024 * 1024))
        source = work / "upload.bin"
        with open(source, "wb") as f:
            for _ in range(100):
                f.write(os.urandom(1024 * 1024))
        for rnd in range(args.rounds):
            order = frameworks if rnd % 2 == 0 else frameworks[::-1]
            for fw in order:
                server = Server(fw, work)
                try:
                    check(server)
                    r = results[fw]
                    rps, cpu = wrk(server, "/echo", args.seconds, POST_LUA)
                    r.setdefault("post64k rps", []).append(rps)
                    r.setdefault("post64k cpu", []).append(cpu)
                    rps, cpu = wrk(server, "/static/1m.bin", args.seconds)
                    r.setdefault("static1m rps", []).append(rps)
                    r.setdefault("static1m cpu", []).append(cpu)
                    runs = [upload(server, source) for _ in range(3)]
                    r.setdefault("upload100m s", []).append(statistics.median(x[0] for x in runs))
                    r.setdefault("upload100m cpu", []).append(statistics.median(x[1] for x in runs))
                    r.setdefault("upload100m rss", []).append(max(x[2] for x in runs))
                finally:
                    server.stop()
                print(f"round {rnd + 1} {fw} done", file=sys.stderr, flush=True)

    a, b = results["aioweb"], results["aiohttp"]

    def ratio(key: str, higher_better: bool) -> str:
        per_round = [
            (x / y if higher_better else y / x) for x, y in zip(a[key], b[key], strict=True)
        ]
        return summarize(per_round)

    lines = [
        f"## Bodies and files: aioweb vs aiohttp ({args.rounds} round(s), {args.seconds:g} s runs)",
        "",
        "| workload | aioweb | aiohttp | speed-up (aioweb / aiohttp) |",
        "| --- | --- | --- | --- |",
        f"| 64 KiB POST echo, req/s | {statistics.median(a['post64k rps']):,.0f} | "
        f"{statistics.median(b['post64k rps']):,.0f} | {ratio('post64k rps', True)} |",
        f"| 64 KiB POST echo, server CPU µs/req | {statistics.median(a['post64k cpu']):.0f} | "
        f"{statistics.median(b['post64k cpu']):.0f} | {ratio('post64k cpu', False)} |",
        f"| 1 MiB static file, req/s | {statistics.median(a['static1m rps']):,.0f} | "
        f"{statistics.median(b['static1m rps']):,.0f} | {ratio('static1m rps', True)} |",
        f"| 1 MiB static file, server CPU µs/req | {statistics.median(a['static1m cpu']):.0f} | "
        f"{statistics.median(b['static1m cpu']):.0f} | {ratio('static1m cpu', False)} |",
        f"| 100 MiB upload to disk, s | {statistics.median(a['upload100m s']):.2f} | "
        f"{statistics.median(b['upload100m s']):.2f} | {ratio('upload100m s', False)} |",
        f"| 100 MiB upload to disk, server CPU s | {statistics.median(a['upload100m cpu']):.2f} | "
        f"{statistics.median(b['upload100m cpu']):.2f} | {ratio('upload100m cpu', False)} |",
        f"| 100 MiB upload, peak RSS growth MiB | {statistics.median(a['upload100m rss']):.1f} | "
        f"{statistics.median(b['upload100m rss']):.1f} | (lower is better) |",
        "",
        "Speed-up > 1 means aioweb is faster (for CPU and seconds: aiohttp's / aioweb's).",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
