"""Templates, sessions and SSE: aioweb's integrations against aiohttp's companions.

    .venv/bin/python bench/bench_ecosystem.py [--rounds 3] [--seconds 4] [--quick]

One application, written once; only the imports differ:

* aiohttp 3.x + ``aiohttp_jinja2`` + ``aiohttp_session`` + ``aiohttp_sse``;
* aioweb + ``aioweb.jinja2`` + ``aioweb.session`` + ``aioweb.sse``.

Workloads:

* ``template``: ``GET /tmpl`` renders a Jinja2 page (a loop over 20 rows, autoescaped) through
  ``@template`` with ``request_processor`` as context processor; wrk, 32 connections.
* ``session``: ``GET /session`` with a valid ``EncryptedCookieStorage`` cookie (same 32-byte
  key on both, so the same cookie works): decrypt, increment, encrypt, ``Set-Cookie``; wrk.
* ``sse``: 4 connections each receive 20,000 events (64-byte data, with ids) as fast as the
  server sends them; reported as events per second.

Method: the server runs on uvloop pinned to CPU 0, the load generator on CPU 1 (``taskset``).
The machine is shared and noisy, so rounds alternate the servers and the ratio is taken per
round; the median is reported. Traffic goes to 127.0.0.1 only; every run is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEY = bytes(range(32))
SSE_EVENTS = 20_000
SSE_CONNS = 4
TEMPLATE = (
    "<!doctype html><title>{{ title }}</title><h1>{{ title }} for {{ request.path }}</h1>"
    "<table>{% for row in rows %}<tr><td>{{ row.id }}</td><td>{{ row.name }}</td>"
    "<td>{{ row.note }}</td></tr>{% endfor %}</table>"
)
ROWS = [{"id": i, "name": f"item <{i}>", "note": "a & b"} for i in range(20)]


# --------------------------------------------------------------------------- server side


def modules(framework: str) -> dict[str, Any]:
    if framework == "aiohttp":
        return {
            "web": importlib.import_module("aiohttp.web"),
            "jinja": importlib.import_module("aiohttp_jinja2"),
            "session": importlib.import_module("aiohttp_session"),
            "cookie": importlib.import_module("aiohttp_session.cookie_storage"),
            "sse": importlib.import_module("aiohttp_sse"),
        }
    return {
        "web": importlib.import_module("aioweb.web"),
        "jinja": importlib.import_module("aioweb.jinja2"),
        "session": importlib.import_module("aioweb.session"),
        "cookie": importlib.import_module("aioweb.session.cookie_storage"),
        "sse": importlib.import_module("aioweb.sse"),
    }


def build_app(framework: str) -> Any:
    import jinja2

    m = modules(framework)
    web, aiohttp_jinja2, aiohttp_session = m["web"], m["jinja"], m["session"]
    sse_response = m["sse"].sse_response

    @aiohttp_jinja2.template("page.html")
    async def tmpl(request: Any) -> Any:
        return {"title": "Rows", "rows": ROWS}

    async def counter(request: Any) -> Any:
        session = await aiohttp_session.get_session(request)
        session["n"] = session.get("n", 0) + 1
        return web.Response(text=str(session["n"]))

    payload = "e" * 64

    async def events(request: Any) -> Any:
        n = int(request.query.get("n", "10"))
        async with sse_response(request) as resp:
            for i in range(n):
                await resp.send(payload, id=str(i))
        return resp

    app = web.Application()
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.DictLoader({"page.html": TEMPLATE}),
        context_processors=[aiohttp_jinja2.request_processor],
    )
    storage = m["cookie"].EncryptedCookieStorage(KEY)
    # Sessions only on /session: the other workloads must not pay for them.
    sub = web.Application()
    aiohttp_session.setup(sub, storage)
    sub.router.add_get("/", counter)
    app.add_subapp("/session", sub)
    app.router.add_get("/tmpl", tmpl)
    app.router.add_get("/sse", events)
    return app


def serve(framework: str, port: int) -> None:
    import warnings

    warnings.simplefilter("ignore")  # aiohttp's NotAppKeyWarning from its companions
    m = modules(framework)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    m["web"].run_app(build_app(framework), host="127.0.0.1", port=port, access_log=None, print=None)


# --------------------------------------------------------------------------- client side


def session_cookie() -> str:
    """A valid EncryptedCookieStorage cookie (both implementations read it)."""
    from cryptography.fernet import Fernet

    data = json.dumps({"created": int(time.time()), "session": {"n": 1}}).encode()
    return Fernet(base64.urlsafe_b64encode(KEY)).encrypt(data).decode()


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """The server's user+system CPU time: robust where wall-clock rates are noise."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def measured(pid: int, work: Any, *args: Any) -> tuple[float, float]:
    """(rate, server CPU microseconds per unit) for ``work(*args) -> (rate, units)``."""
    before = cpu_seconds(pid)
    rate, units = work(*args)
    return rate, (cpu_seconds(pid) - before) * 1e6 / max(units, 1)


def wrk(port: int, path: str, seconds: float, headers: list[str]) -> tuple[float, int]:
    duration = max(1, round(seconds))
    cmd = ["wrk", "-t1", "-c32", f"-d{duration}s"]
    for header in headers:
        cmd += ["-H", header]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "1", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    if re.search(r"Non-2xx or 3xx responses", out):
        raise RuntimeError(f"{path}: errors from the server\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if match is None or total is None:
        raise RuntimeError(f"wrk output not understood:\n{out}")
    return float(match.group(1)), int(total.group(1))


async def _sse_conn(port: int, n: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /sse?n={n} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    seen = 0
    tail = b""
    while True:
        data = await reader.read(1 << 16)
        if not data:
            break
        chunk = tail + data
        seen += chunk.count(b"\r\nid: ")  # each event is framed as "...\r\nid: N\r\n..."
        tail = chunk[-5:]  # shorter than the pattern: no event is counted twice
        if chunk.endswith(b"0\r\n\r\n"):  # last chunk of the chunked body
            break
    writer.close()
    return seen


def sse_client(port: int, conns: int, n: int) -> tuple[float, int]:
    import uvloop

    async def main() -> tuple[float, int]:
        start = time.perf_counter()
        seen = await asyncio.gather(*(_sse_conn(port, n) for _ in range(conns)))
        if sum(seen) != conns * n:
            raise RuntimeError(f"expected {conns * n} events, counted {sum(seen)}")
        return conns * n / (time.perf_counter() - start), conns * n

    return uvloop.run(main())


# --------------------------------------------------------------------------- orchestration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(framework: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [sys.executable, __file__, "--serve", framework, "--port", str(port)]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{framework} server did not start")


def check(port: int) -> None:
    """Both servers must give the same answers before their speed counts."""
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        page = client.get("/tmpl")
        assert page.status_code == 200 and "item &lt;19&gt;" in page.text, page.text[:200]
        resp = client.get("/session/", headers={"Cookie": f"AIOHTTP_SESSION={session_cookie()}"})
        assert resp.text == "2", resp.text
        assert "AIOHTTP_SESSION" in resp.headers.get("set-cookie", "")
        events = client.get("/sse?n=3").text
        assert events.count("data: ") == 3, events


Pair = tuple[tuple[float, float], tuple[float, float]]  # (aioweb, aiohttp) x (rate, cpu)


def run(rounds: int, seconds: float) -> dict[str, list[Pair]]:
    results: dict[str, list[Pair]] = {"template": [], "session": [], "sse": []}
    cookie = f"Cookie: AIOHTTP_SESSION={session_cookie()}"
    for r in range(rounds):
        per: dict[str, dict[str, tuple[float, float]]] = {}
        order = ("aioweb", "aiohttp") if r % 2 == 0 else ("aiohttp", "aioweb")
        for framework in order:
            proc, port = start(framework)
            try:
                check(port)
                wrk(port, "/tmpl", 1, [])  # warm-up
                pid = proc.pid
                per[framework] = {
                    "template": measured(pid, wrk, port, "/tmpl", seconds, []),
                    "session": measured(pid, wrk, port, "/session/", seconds, [cookie]),
                    "sse": measured(pid, sse_client, port, SSE_CONNS, SSE_EVENTS),
                }
            finally:
                proc.terminate()
                proc.wait(10)
        for name in results:
            results[name].append((per["aioweb"][name], per["aiohttp"][name]))
        print(f"round {r + 1}: {per}", file=sys.stderr, flush=True)
    return results


UNITS = {
    "template": ("req/s", "request"),
    "session": ("req/s", "request"),
    "sse": ("events/s", "event"),
}


def report(results: dict[str, list[Pair]], rounds: int, seconds: float) -> str:
    lines = [
        f"ecosystem: aioweb vs aiohttp + companions, {rounds} round(s), {seconds:g} s wrk runs",
        "",
        "| workload | aioweb | aiohttp | speed ratio | server CPU per unit, aioweb / aiohttp "
        "| CPU ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, pairs in results.items():
        rate, unit = UNITS[name]
        ours = statistics.median(p[0][0] for p in pairs)
        theirs = statistics.median(p[1][0] for p in pairs)
        speed = statistics.median(p[0][0] / p[1][0] for p in pairs)
        cpu_ours = statistics.median(p[0][1] for p in pairs)
        cpu_theirs = statistics.median(p[1][1] for p in pairs)
        cpu = statistics.median(p[1][1] / p[0][1] for p in pairs if p[0][1] > 0)
        lines.append(
            f"| {name} | {ours:,.0f} {rate} | {theirs:,.0f} {rate} | {speed:.2f}x "
            f"| {cpu_ours:.0f} / {cpu_theirs:.0f} µs per {unit} | {cpu:.2f}x less |"
        )
    lines += [
        "",
        "Ratios are medians of per-round ratios. On a shared machine the CPU ratio (aiohttp's",
        "server CPU time per unit divided by aioweb's) is the steadier figure.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s runs")
    parser.add_argument("--serve", choices=["aioweb", "aiohttp"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    rounds, seconds = (1, 2.0) if args.quick else (args.rounds, args.seconds)
    print(report(run(rounds, seconds), rounds, seconds))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
