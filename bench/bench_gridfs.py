"""GridFS serving benchmark: aioweb's GridFSHandler against Motor's AIOHTTPGridFS on aiohttp.

    .venv/bin/python bench/bench_gridfs.py [--rounds 3] [--seconds 5]

Both servers serve the same files from the same database (FerretDB started here with its
SQLite backend, or ``MONGODB_URI``), each through its own driver: aioweb with PyMongo's async
API, aiohttp with Motor (the handler aioweb's replaces). Workloads, all with ``wrk``:

* ``small``: a 4 KiB file, 16 connections; requests per second.
* ``spread``: 64 different 4 KiB files, each request picks one at random (a wrk Lua script),
  16 connections; requests per second. Concurrent requests rarely share a name here, so this
  shows what the small-file cache does without the look-up coalescing that ``small`` (one hot
  name) benefits from.
* ``big``: a 64 MiB file, 2 connections; MB/s of body delivered.
* ``range``: ``Range: bytes=16777216-17825791`` (1 MiB from the middle) of the 64 MiB file,
  4 connections; requests per second. Motor's handler ignores Range and sends all 64 MiB each
  time, which is the point of the comparison: that is what its users get today.

Frameworks: ``aioweb`` (GridFSHandler with its defaults: small-file cache, look-up
coalescing), ``aiohttp+motor``; with ``--frameworks`` also ``aioweb-nocache`` (both turned
off: one files query and one chunks query per request, as Motor does) and ``aioweb+motor``
(aioweb's handler over Motor's driver).

Method: each server runs on uvloop. Nothing is pinned by default: the database runs on the
same two cores, and pinning the server to one core (``--pin``: server on CPU 0, wrk on CPU 1)
makes it fight the database's threads for that core, which measured the scheduler rather
than the servers (aioweb 0.5x with pinning, 1.5x without, in the same hour). The machine is
shared and noisy, so the server process's CPU time per request (user+sys from /proc) is
reported too.
Rounds alternate the servers and the ratio is taken per round (median shown). Load goes to
127.0.0.1 only and every run is bounded in time.

``--queries`` measures instead the database floor: each query a small-file GET makes, sent
alone in a loop through PyMongo's async client, with the client's CPU and the database
process's CPU per query (the database's only when this script started it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CLK_TCK = os.sysconf("SC_CLK_TCK")
# Two databases: FerretDB uses no index, so a query for the small file's one chunk would
# otherwise scan the big file's 64 MiB of chunks too and the figure would measure that.
SMALL_DB = "aioweb_bench_gridfs_small"
BIG_DB = "aioweb_bench_gridfs_big"
SPREAD_DB = "aioweb_bench_gridfs_spread"
DATABASES = (SMALL_DB, BIG_DB, SPREAD_DB)
SMALL_SIZE = 4 * 1024
SPREAD_FILES = 64
BIG_SIZE = 64 * 1024 * 1024
RANGE = (16 * 1024 * 1024, 17 * 1024 * 1024)  # half-open
FRAMEWORKS = ("aioweb", "aiohttp+motor")
# also runnable with --frameworks: aioweb's handler given a Motor database (isolates the driver),
# and aioweb with the small-file cache and look-up coalescing off (isolates those two)
ALL_FRAMEWORKS = (*FRAMEWORKS, "aioweb+motor", "aioweb-nocache")


# --------------------------------------------------------------------------- server side


def serve(framework: str, port: int, uri: str) -> None:
    """Serve the bucket at /fs/{filename} with ``framework`` until killed."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    if framework.startswith("aioweb"):
        from aioweb import web
    else:
        from aiohttp import web  # type: ignore[no-redef]

    async def make_app() -> Any:
        # inside the loop: Motor binds to the running loop when its client is created
        if framework in ("aioweb", "aioweb-nocache"):
            from pymongo import AsyncMongoClient

            from aioweb.integrations.gridfs import GridFSHandler

            client: Any = AsyncMongoClient(uri)
            options: dict[str, Any] = {}
            if framework == "aioweb-nocache":
                options = {"cache_bytes": 0, "coalesce_lookups": False}
            handlers = [GridFSHandler(client[name], **options) for name in DATABASES]
        elif framework == "aioweb+motor":
            from motor.motor_asyncio import AsyncIOMotorClient

            from aioweb.integrations.gridfs import GridFSHandler

            client = AsyncIOMotorClient(uri)
            handlers = [GridFSHandler(client[name]) for name in DATABASES]
        else:
            from motor.aiohttp import AIOHTTPGridFS
            from motor.motor_asyncio import AsyncIOMotorClient

            client = AsyncIOMotorClient(uri)
            handlers = [AIOHTTPGridFS(client[name]) for name in DATABASES]
        app = web.Application()
        for prefix, handler in zip(("/small", "/fs", "/spread"), handlers, strict=True):
            resource = app.router.add_resource(prefix + "/{filename}")
            resource.add_route("GET", handler)
            resource.add_route("HEAD", handler)
        return app

    web.run_app(make_app(), host="127.0.0.1", port=port, access_log=None, print=None)


# --------------------------------------------------------------------------- orchestration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PIN = False  # set by --pin


def _pin(cpu: int) -> list[str]:
    if not PIN or not shutil.which("taskset") or os.cpu_count() == 1:
        return []
    return ["taskset", "-c", str(cpu)]


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


SERVER_LOG = Path(tempfile.gettempdir()) / "bench_gridfs_servers.log"


@contextlib.contextmanager
def _server(framework: str, uri: str) -> Iterator[tuple[int, int]]:
    """Start one server; its stderr goes to ``SERVER_LOG`` (aiohttp logs a traceback for each
    connection wrk drops at the end of a run, which would bury the results)."""
    port = _free_port()
    with SERVER_LOG.open("ab") as log:
        log.write(f"--- {framework} on port {port}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            [*_pin(0), sys.executable, __file__, "--serve", framework, "--port", str(port),
             "--uri", uri],
            cwd=ROOT, stderr=log,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{framework} server exited with {proc.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{framework} server did not start")
            time.sleep(0.1)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


SPREAD_SCRIPT = Path(tempfile.gettempdir()) / "bench_gridfs_spread.lua"


def _wrk(port: int, path: str, conns: int, seconds: float, headers: list[str]) -> dict[str, float]:
    cmd = [*_pin(1), "wrk", "-t1", f"-c{conns}", f"-d{round(seconds)}s", "--timeout", "30s"]
    for header in headers:
        cmd += ["-H", header]
    if path.startswith("/spread/"):
        SPREAD_SCRIPT.write_text(
            "math.randomseed(os.time())\n"
            "request = function()\n"
            f'  return wrk.format(nil, "/spread/f" .. math.random(0, {SPREAD_FILES - 1}) .. ".bin")\n'
            "end\n"
        )
        cmd += ["-s", str(SPREAD_SCRIPT)]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s*([0-9.]+)", out)
    transfer = re.search(r"Transfer/sec:\s*([0-9.]+)([KMGT]?B)", out)
    total = re.search(r"([0-9]+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s*([0-9]+)", out)
    if not (rps and transfer and total):
        raise RuntimeError(f"could not parse wrk output:\n{out}")
    if bad:
        raise RuntimeError(f"wrk saw {bad.group(1)} error responses:\n{out}")
    return {
        "rps": float(rps.group(1)),
        "bytes_per_s": float(transfer.group(1)) * _UNITS[transfer.group(2)],
        "requests": float(total.group(1)),
    }


WORKLOADS: dict[str, tuple[str, int, list[str]]] = {
    "small": ("/small/small.bin", 16, []),
    "spread": ("/spread/", 16, []),
    "big": ("/fs/big.bin", 2, []),
    "range": ("/fs/big.bin", 4, [f"Range: bytes={RANGE[0]}-{RANGE[1] - 1}"]),
}


def _check(port: int) -> None:
    """Each server must answer every workload correctly before it is timed."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for path in ("/small/small.bin", f"/spread/f{SPREAD_FILES - 1}.bin"):
            conn.request("GET", path)
            resp = conn.getresponse()
            assert resp.status == 200 and len(resp.read()) == SMALL_SIZE, path
        conn.request("GET", "/fs/big.bin", headers={"Range": f"bytes={RANGE[0]}-{RANGE[1] - 1}"})
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status in (200, 206), resp.status
        assert len(body) in (RANGE[1] - RANGE[0], BIG_SIZE)
    finally:
        conn.close()


def _seed(uri: str) -> None:
    from gridfs import GridFSBucket
    from pymongo import MongoClient

    client: MongoClient[Any] = MongoClient(uri)
    try:
        for name in DATABASES:
            client.drop_database(name)
        GridFSBucket(client[SMALL_DB]).upload_from_stream("small.bin", os.urandom(SMALL_SIZE))
        spread = GridFSBucket(client[SPREAD_DB])
        for i in range(SPREAD_FILES):
            spread.upload_from_stream(f"f{i}.bin", os.urandom(SMALL_SIZE))
        with GridFSBucket(client[BIG_DB]).open_upload_stream("big.bin") as grid_in:
            block = os.urandom(1024 * 1024)
            for _ in range(BIG_SIZE // len(block)):
                grid_in.write(block)
    finally:
        client.close()


def _drop(uri: str) -> None:
    from pymongo import MongoClient

    client: MongoClient[Any] = MongoClient(uri)
    try:
        for name in DATABASES:
            client.drop_database(name)
    finally:
        client.close()


@contextlib.contextmanager
def _database() -> Iterator[tuple[str, int | None]]:
    """The database's URI, and its process id when this script started it."""
    import services

    if os.environ.get("MONGODB_URI"):
        with services.mongodb() as uri:
            yield uri, None
        return
    service = services.start_ferretdb()
    try:
        yield service.url, service.process.pid if service.process else None
    finally:
        service.stop()


def _query_floor(uri: str, db_pid: int | None, count: int = 1500) -> None:
    """Print wall time, client CPU and database CPU per bare query (see ``--queries``)."""
    import asyncio

    from pymongo import AsyncMongoClient

    async def measure() -> None:
        client: Any = AsyncMongoClient(uri)
        files, chunks = client[SMALL_DB].fs.files, client[SMALL_DB].fs.chunks
        spread = client[SPREAD_DB].fs.files
        file_id = (await files.find_one({"filename": "small.bin"}))["_id"]
        newest = [("uploadDate", -1)]
        queries = {
            "ping": lambda: client[SMALL_DB].command("ping"),
            "files: newest 'small.bin' (1 file)": lambda: files.find_one(
                {"filename": "small.bin"}, sort=newest
            ),
            f"files: newest 'f1.bin' ({SPREAD_FILES} files)": lambda: spread.find_one(
                {"filename": "f1.bin"}, sort=newest
            ),
            "chunks: chunk 0 of small.bin": lambda: chunks.find_one(
                {"files_id": file_id, "n": 0}, {"_id": 0, "n": 1, "data": 1}
            ),
        }
        print("| query | wall ms | client CPU ms | database CPU ms |")
        print("| --- | --- | --- | --- |")
        for label, query in queries.items():
            for _ in range(50):
                await query()
            start, cpu = time.perf_counter(), time.process_time()
            db_cpu = _cpu_seconds(db_pid) if db_pid else 0.0
            for _ in range(count):
                await query()
            wall = (time.perf_counter() - start) / count * 1e3
            mine = (time.process_time() - cpu) / count * 1e3
            theirs = f"{(_cpu_seconds(db_pid) - db_cpu) / count * 1e3:.3f}" if db_pid else "n/a"
            print(f"| {label} | {wall:.3f} | {mine:.3f} | {theirs} |", flush=True)
        await client.close()

    try:
        import uvloop

        uvloop.run(measure())
    except ImportError:  # pragma: no cover
        asyncio.run(measure())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", choices=ALL_FRAMEWORKS)
    parser.add_argument("--frameworks", nargs="*", default=list(FRAMEWORKS))
    parser.add_argument("--port", type=int)
    parser.add_argument("--uri")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="small-file runs")
    parser.add_argument("--big-seconds", type=float, default=20.0, help="64 MiB and range runs")
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, wrk on CPU 1")
    parser.add_argument("--workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--queries", action="store_true", help="bare query costs, no HTTP")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.uri)
        return
    global PIN
    PIN = args.pin
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: scripts/install-system-deps.sh")

    with _database() as (uri, db_pid):
        print(f"database: {uri} ({'MONGODB_URI' if os.environ.get('MONGODB_URI') else 'FerretDB'})")
        _seed(uri)
        if args.queries:
            try:
                _query_floor(uri, db_pid)
            finally:
                _drop(uri)
            return
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        try:
            for rnd in range(args.rounds):
                order = args.frameworks if rnd % 2 == 0 else args.frameworks[::-1]
                for framework in order:
                    with _server(framework, uri) as (port, pid):
                        _check(port)
                        for name in args.workloads:
                            path, conns, headers = WORKLOADS[name]
                            before = _cpu_seconds(pid)
                            small = name in ("small", "spread")
                            seconds = args.seconds if small else args.big_seconds
                            r = _wrk(port, path, conns, seconds, headers)
                            r["cpu_per_req_ms"] = (
                                (_cpu_seconds(pid) - before) / max(r["requests"], 1) * 1000
                            )
                            results.setdefault((framework, name), []).append(r)
                            print(
                                f"round {rnd + 1} {framework:14} {name:6} "
                                f"{r['rps']:9.1f} req/s {r['bytes_per_s'] / 1e6:9.1f} MB/s "
                                f"cpu {r['cpu_per_req_ms']:.3f} ms/req",
                                flush=True,
                            )
        finally:
            _drop(uri)
    print(f"(servers' stderr: {SERVER_LOG})")
    for framework in args.frameworks:
        if framework != "aiohttp+motor":
            _report(results, args.workloads, args.rounds, framework)


def _report(
    results: dict[tuple[str, str], list[dict[str, float]]],
    workloads: list[str],
    rounds: int,
    framework: str = "aioweb",
) -> None:
    if ("aiohttp+motor", workloads[0]) not in results:
        return
    print()
    print(
        f"| workload | {framework} | aiohttp+Motor | ratio (median of rounds) "
        "| server CPU per request, Motor/aioweb |"
    )
    print("| --- | --- | --- | --- | --- |")
    for name in workloads:
        ours = results[(framework, name)]
        theirs = results[("aiohttp+motor", name)]
        key = "bytes_per_s" if name == "big" else "rps"
        unit = "MB/s" if name == "big" else "req/s"
        scale = 1e6 if name == "big" else 1.0
        ratios = [a[key] / b[key] for a, b in zip(ours, theirs, strict=True) if b[key]]
        cpu = [b["cpu_per_req_ms"] / a["cpu_per_req_ms"]
               for a, b in zip(ours, theirs, strict=True) if a["cpu_per_req_ms"]]  # fmt: skip
        print(
            f"| {name} | {statistics.median(r[key] for r in ours) / scale:.1f} {unit} "
            f"| {statistics.median(r[key] for r in theirs) / scale:.1f} {unit} "
            f"| {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) "
            f"| {statistics.median(cpu):.2f}x |"
            if ratios and cpu
            else f"| {name} | n/a | n/a | n/a | n/a |"
        )
    print(f"\n{rounds} rounds; ratio > 1 means aioweb is faster. 'range' for Motor is the whole "
          "64 MiB file (it ignores Range).")  # fmt: skip


if __name__ == "__main__":
    main()
