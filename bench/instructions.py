"""User-space instructions per request of a whole server process, over a real loopback socket.

    .venv/bin/python bench/instructions.py [--framework aioweb aiohttp floor]
        [--workload plaintext json param post4k] [--requests 1600] [--keep DIR]

Each server (``bench/apps/app.py`` for aioweb and aiohttp, the same application on both;
``bench/apps/floor.py``, httptools + uvloop with fixed replies, for the floor) runs under
valgrind's callgrind, which counts every user-space instruction the process executes: the event
loop, the parser, the framework, the interpreter, the C libraries.  The kernel's share (read,
write, epoll) is not counted; it is the same for every server.  The client runs outside
valgrind, in this process: 8 keep-alive connections, each sending one request and reading the
whole reply before sending the next.

Why a difference of runs: a process's total includes start-up, imports, the first requests
(caches, specialisation) and shut-down.  For each server one run serves ``--warmup`` requests
of every workload (the baseline), and one run per workload serves ``--requests`` more of that
workload; the difference ÷ ``--requests`` is what one more request of it costs.
``PYTHONHASHSEED=0`` fixes string hashes (dict probes), so repeat counts agree to about 1%
(what is left is the order in which the 8 connections' requests reach the server).

``bench/micro.py --instructions`` counts aioweb's code fed from memory (no socket, no event
loop I/O); this counts what a deployed server pays per request, on both servers the same way.
``--keep DIR`` keeps the callgrind profiles; ``--breakdown`` (with ``--keep``) then prints, per
compiled function (Cython modules, uvloop, httptools, llhttp, multidict), the inclusive
instructions of one request: the difference between the baseline's and the extended run's
``callgrind_annotate --inclusive=yes``, ÷ ``--requests``.  Python functions that are not
compiled show only as the interpreter's own functions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PY = sys.executable
CONNECTIONS = 8
POST_BODY = b"x" * 4096

REQUESTS = {
    "plaintext": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "json": b"GET /json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "param": b"GET /user/42 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "post4k": b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/octet-stream\r\nContent-Length: 4096\r\n\r\n" + POST_BODY,
}
EXPECT = {
    "plaintext": b"Hello, World!",
    "json": b'{"message": "Hello, World!"}',
    "param": b"user 42",
    "post4k": POST_BODY,
}


def server_command(framework: str, port: int) -> list[str]:
    """The server's command line: the benchmark app, or the floor."""
    if framework == "floor":
        return [PY, str(BENCH / "apps" / "floor.py"), "--port", str(port)]
    return [PY, str(BENCH / "apps" / "app.py"), "--framework", framework, "--port", str(port)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def read_reply(reader: asyncio.StreamReader) -> bytes:
    """One whole reply (these all carry Content-Length); its status must be 200."""
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200 "):
        raise SystemExit(f"unexpected reply: {head[:200]!r}")
    length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    if length is None:
        raise SystemExit(f"reply without Content-Length: {head[:200]!r}")
    return await reader.readexactly(int(length.group(1)))


async def drive(port: int, counts: dict[str, int]) -> None:
    """Send ``counts[workload]`` requests of each workload over 8 keep-alive connections."""
    deadline = time.monotonic() + 600
    while True:  # the server starts slowly under valgrind (imports at ~1/50 speed)
        try:
            conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(CONNECTIONS)]
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        for _ in range(n):
            writer.write(data)
            body = await read_reply(reader)
            if body != EXPECT[workload]:
                raise SystemExit(f"{workload}: unexpected body {body[:100]!r}")

    for workload, total in counts.items():
        data = REQUESTS[workload]
        share, extra = divmod(total, CONNECTIONS)
        await asyncio.gather(*(one(r, w, share + (i < extra)) for i, (r, w) in enumerate(conns)))
    for _, writer in conns:
        writer.close()
        await writer.wait_closed()
    await asyncio.sleep(0.5)  # let the server see every close before it is stopped


def count(framework: str, counts: dict[str, int], keep: Path | None, tag: str) -> int:
    """One valgrind run serving ``counts``: the process's total user-space instructions."""
    port = free_port()
    out = str(keep / f"{framework}-{tag}.callgrind") if keep else "/dev/null"
    proc = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            *server_command(framework, port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    try:
        asyncio.run(drive(port, counts))
    finally:
        proc.send_signal(signal.SIGINT)  # both servers shut down cleanly on Ctrl-C
        _, err = proc.communicate(timeout=600)
    found = re.search(r"Collected : (\d+)", err)
    if found is None:
        raise SystemExit(f"callgrind gave no count for {framework}:\n{err[-2000:]}")
    return int(found.group(1))


def measure(
    framework: str, workloads: list[str], warmup: int, extra: int, keep: Path | None
) -> dict[str, int]:
    """Instructions per request of each workload on one server."""
    base_counts = {w: warmup for w in workloads}
    base = count(framework, base_counts, keep, "base")
    result = {}
    for workload in workloads:
        total = count(framework, {**base_counts, workload: warmup + extra}, keep, workload)
        result[workload] = (total - base) // extra
        print(f"  {framework:8} {workload:10} {result[workload]:>9,}", flush=True)
    return result


def inclusive(profile: Path) -> dict[str, int]:
    """Inclusive instructions per function of one profile (``callgrind_annotate``)."""
    text = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(profile)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    totals: dict[str, int] = {}
    for line in text.splitlines():
        found = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?\S*:(\S+)", line)
        if found:  # (one function can be listed once per source file it inlines)
            name = found.group(2)
            totals[name] = max(totals.get(name, 0), int(found.group(1).replace(",", "")))
    return totals


def breakdown(keep: Path, framework: str, workload: str, extra: int) -> None:
    """Where one request of ``workload`` goes: compiled functions, inclusive, per request."""
    base = inclusive(keep / f"{framework}-base.callgrind")
    more = inclusive(keep / f"{framework}-{workload}.callgrind")
    rows = sorted(((more[k] - base.get(k, 0)) // extra, k) for k in more)
    print(f"\n{framework} {workload}: inclusive instructions per request, compiled functions")
    for per_request, name in reversed(rows):
        if per_request >= 150 and re.search(r"aioweb|uvloop|httptools|llhttp|multidict", name):
            print(f"{per_request:>9,}  {name[:110]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--framework", nargs="+", default=["aioweb", "aiohttp"])
    ap.add_argument("--workload", nargs="+", default=list(REQUESTS), choices=list(REQUESTS))
    ap.add_argument("--warmup", type=int, default=400, help="requests of each in every run")
    ap.add_argument("--requests", type=int, default=1600, help="extra requests counted")
    ap.add_argument("--keep", type=Path, help="keep the callgrind profiles in this folder")
    ap.add_argument("--breakdown", action="store_true", help="per function (needs --keep)")
    args = ap.parse_args()
    if args.breakdown and not args.keep:
        ap.error("--breakdown reads the profiles --keep keeps")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    results = {
        fw: measure(fw, args.workload, args.warmup, args.requests, args.keep)
        for fw in args.framework
    }
    print(f"\ninstructions per request ({CONNECTIONS} keep-alive connections, loopback)")
    names = list(results)
    print(f"{'workload':10} " + " ".join(f"{n:>9}" for n in names), end="")
    ratio = "aiohttp" in results and "aioweb" in results
    print(f" {'aiohttp/aioweb':>15}" if ratio else "")
    for workload in args.workload:
        row = " ".join(f"{results[n][workload]:>9,}" for n in names)
        if ratio:
            row += f" {results['aiohttp'][workload] / results['aioweb'][workload]:>14.2f}x"
        print(f"{workload:10} {row}")
    if args.breakdown:
        for framework in args.framework:
            for workload in args.workload:
                breakdown(args.keep, framework, workload, args.requests)


if __name__ == "__main__":
    main()
