"""aiohttp's plugins on aioweb (through the opt-in) against the same plugins on aiohttp.

    .venv/bin/python bench/bench_plugins.py [--rounds 3] [--seconds 3] [--quick]

One application, written once against ``aiohttp.web`` with aiohttp-cors and aiohttp-pydantic,
the demo's plugins page's API: on aioweb the process calls
``aioweb.integrations.aiohttp_compat.enable()`` first, and nothing else differs.

Workloads (wrk, 32 connections):

* ``cors-get``: ``GET /api/items?limit=5`` with an allowed ``Origin``: pydantic parses the query,
  aiohttp-cors's ``on_response_prepare`` adds the CORS headers;
* ``preflight``: ``OPTIONS /api/items``, a CORS preflight answered by aiohttp-cors's handler;
* ``post-json``: ``POST /api/items`` with a JSON body validated into a pydantic model.

Method as in bench_ecosystem.py: server on CPU 0, wrk on CPU 1, rounds alternate the servers,
medians of per-round ratios, with the server's CPU time per request as the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_ecosystem as eco

ORIGIN = "https://example.org"
BODY = '{"name": "cup", "price": 4.5}'
WORKLOADS: dict[str, tuple[str, str, list[str]]] = {
    "cors-get": ("GET", "/api/items?limit=5", [f"Origin: {ORIGIN}"]),
    "preflight": (
        "OPTIONS",
        "/api/items",
        [f"Origin: {ORIGIN}", "Access-Control-Request-Method: POST"],
    ),
    "post-json": ("POST", "/api/items", ["Content-Type: application/json"]),
}


def serve(framework: str, port: int) -> None:
    import warnings

    warnings.simplefilter("ignore")
    if framework == "aioweb":
        from aioweb.integrations import aiohttp_compat

        aiohttp_compat.enable()
    import uvloop
    from aiohttp import web

    sys.path.insert(0, str(Path(__file__).resolve().parent / "apps"))
    from plugins_app import build_app

    uvloop.install()
    web.run_app(build_app(), host="127.0.0.1", port=port, access_log=None, print=None)


def start(framework: str) -> tuple[subprocess.Popen[bytes], int]:
    port = eco.free_port()
    cmd = [sys.executable, __file__, "--serve", framework, "--port", str(port)]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    import httpx

    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/items", timeout=1)
            return proc, port
        except httpx.TransportError:
            import time

            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{framework} server did not start")


def check(port: int) -> None:
    """Both servers must give the same answers before their speed counts."""
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        got = client.get("/api/items?limit=5", headers={"Origin": ORIGIN})
        assert got.status_code == 200 and len(got.json()) == 5, got.text
        assert got.headers["access-control-allow-origin"] == ORIGIN
        pre = client.options(
            "/api/items", headers=dict(h.split(": ") for h in WORKLOADS["preflight"][2])
        )
        assert pre.status_code == 200 and pre.headers["access-control-allow-methods"] == "POST"
        made = client.post("/api/items", content=BODY, headers={"Content-Type": "application/json"})
        assert made.status_code == 201 and made.json()["name"] == "cup", made.text
        assert client.post("/api/items", json={"name": ""}).status_code == 400


def wrk(port: int, workload: str, seconds: float) -> tuple[float, int]:
    method, path, headers = WORKLOADS[workload]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.method = "{method}"\n')
        if method == "POST":
            script.write(f"wrk.body = [[{BODY}]]\n")
    cmd = ["wrk", "-t1", "-c32", f"-d{max(1, round(seconds))}s", "-s", script.name]
    for header in headers:
        cmd += ["-H", header]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "1", *cmd]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    finally:
        os.unlink(script.name)
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"{workload}: errors from the server\n{out}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if rate is None or total is None:
        raise RuntimeError(f"wrk output not understood:\n{out}")
    return float(rate.group(1)), int(total.group(1))


Pair = tuple[tuple[float, float], tuple[float, float]]


def run(rounds: int, seconds: float) -> dict[str, list[Pair]]:
    results: dict[str, list[Pair]] = {name: [] for name in WORKLOADS}
    for r in range(rounds):
        per: dict[str, dict[str, tuple[float, float]]] = {}
        for framework in ("aioweb", "aiohttp") if r % 2 == 0 else ("aiohttp", "aioweb"):
            proc, port = start(framework)
            try:
                check(port)
                wrk(port, "cors-get", 1)  # warm-up
                per[framework] = {
                    name: eco.measured(proc.pid, wrk, port, name, seconds) for name in WORKLOADS
                }
            finally:
                proc.terminate()
                proc.wait(10)
        for name in results:
            results[name].append((per["aioweb"][name], per["aiohttp"][name]))
        print(f"round {r + 1}: {per}", file=sys.stderr, flush=True)
    return results


def report(results: dict[str, list[Pair]], rounds: int, seconds: float) -> str:
    lines = [
        f"plugins: aioweb (opt-in) vs aiohttp, aiohttp-cors + aiohttp-pydantic, {rounds} "
        f"round(s), {seconds:g} s wrk runs",
        "",
        "| workload | aioweb req/s | aiohttp req/s | speed ratio "
        "| server CPU µs/request, aioweb / aiohttp | CPU ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, pairs in results.items():
        ours = statistics.median(p[0][0] for p in pairs)
        theirs = statistics.median(p[1][0] for p in pairs)
        speed = statistics.median(p[0][0] / p[1][0] for p in pairs)
        cpu_ours = statistics.median(p[0][1] for p in pairs)
        cpu_theirs = statistics.median(p[1][1] for p in pairs)
        cpu = statistics.median(p[1][1] / p[0][1] for p in pairs if p[0][1] > 0)
        lines.append(
            f"| {name} | {ours:,.0f} | {theirs:,.0f} | {speed:.2f}x "
            f"| {cpu_ours:.0f} / {cpu_theirs:.0f} | {cpu:.2f}x less |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
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
