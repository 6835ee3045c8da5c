"""Profile one server under load: py-spy samples it while wrk drives one workload.

    .venv/bin/python bench/flame.py --framework aioweb --workload plaintext --seconds 10

Same pinning as ``run.py`` (server on CPU 0; wrk and py-spy on CPU 1).  Writes the collapsed
stacks (and with ``--svg`` a flame graph) under ``bench/results/profiles/`` and prints where the
time goes: self and inclusive time per function, and self time per layer (wire, server,
framework, handler, event loop, C libraries).  Percentages are of the samples in which the
server was not idle (py-spy drops idle samples by default).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import CLIENT_CPU, ROOT, SERVERS, WRK_WORKLOADS, RunningServer, run_wrk

PYSPY = str(Path(sys.executable).parent / "py-spy")
OUT = ROOT / "bench" / "results" / "profiles"
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

LAYERS = [
    ("wire (aioweb/http)", "aioweb/http/"),
    ("server (aioweb/server)", "aioweb/server/"),
    ("framework (aioweb/*.py)", "aioweb/"),
    ("aiohttp", "aiohttp/"),
    ("handler (bench/apps)", "bench/apps/"),
    ("event loop (asyncio/uvloop)", "asyncio/"),
    ("event loop (asyncio/uvloop)", "uvloop/"),
    ("multidict/yarl", "multidict/"),
    ("multidict/yarl", "yarl/"),
    ("json", "json/"),
]


def frame_key(frame: str) -> tuple[str, str]:
    """``func (path:line)`` -> (func, short path) so lines of one function add up."""
    m = FRAME.match(frame)
    if not m:
        return frame, ""
    path = m.group("file")
    for marker in ("site-packages/", "/lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return m.group("func"), path


def layer_of(path: str) -> str:
    if not path:
        return "native / C"
    if path == "app.py":  # py-spy shortens paths on sys.path: the script's own directory
        return "handler (bench/apps)"
    for name, marker in LAYERS:
        if marker in path or path.startswith(marker.rstrip("/")):
            return name
    return "other Python"


def summarise(raw: Path, top: int) -> str:
    self_time: Counter[tuple[str, str]] = Counter()
    incl_time: Counter[tuple[str, str]] = Counter()
    layers: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame_key(f) for f in stack.split(";")]
        # the thread name is the first frame py-spy writes; it is not a function
        frames = [f for f in frames if f[1] or not f[0].startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        self_time[frames[-1]] += count
        layers[layer_of(frames[-1][1])] += count
        for key in set(frames):
            incl_time[key] += count
    if not total:
        return "no samples"

    def pct(n: int) -> str:
        return f"{100 * n / total:5.1f}%"

    out = [f"{total} samples (not idle)", "", "self time by layer:"]
    out += [f"  {pct(n)}  {name}" for name, n in layers.most_common()]
    out += ["", f"top {top} functions by self time:"]
    out += [f"  {pct(n)}  {f} ({p})" for (f, p), n in self_time.most_common(top)]
    out += ["", f"top {top} functions by inclusive time:"]
    out += [f"  {pct(n)}  {f} ({p})" for (f, p), n in incl_time.most_common(top)]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--framework", default="aioweb", choices=list(SERVERS))
    ap.add_argument("--workload", default="plaintext", choices=list(WRK_WORKLOADS))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rate", type=int, default=500, help="py-spy samples per second")
    ap.add_argument("--native", action="store_true", help="include C frames (py-spy --native)")
    ap.add_argument("--svg", action="store_true", help="write a flame graph instead of raw")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"{args.framework}-{args.workload}-{stamp}"
    target = OUT / (name + (".svg" if args.svg else ".txt"))
    workload = WRK_WORKLOADS[args.workload]
    server = RunningServer(SERVERS[args.framework])
    try:
        run_wrk(server.port, workload, 1, 64)  # warm-up
        cmd = [
            "taskset",
            "-c",
            str(CLIENT_CPU),
            PYSPY,
            "record",
            "-p",
            str(server.proc.pid),
            "-r",
            str(args.rate),
            "-d",
            str(args.seconds),
            "-o",
            str(target),
            "--format",
            "flamegraph" if args.svg else "raw",
        ]
        if args.native:
            cmd.append("--native")
        spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        result: dict[str, int] = {}
        load = threading.Thread(
            target=lambda: result.update(run_wrk(server.port, workload, args.seconds + 1, 64))
        )
        load.start()
        _, err = spy.communicate(timeout=args.seconds + 60)
        load.join(args.seconds + 60)
        if spy.returncode != 0:
            raise SystemExit(f"py-spy failed: {err.decode(errors='replace')}")
    finally:
        server.stop()
    rps = result.get("requests", 0) / max(result.get("duration_us", 1) / 1e6, 1e-9)
    print(
        f"{args.framework} {args.workload}: {rps:,.0f} req/s under py-spy -> "
        f"{target.relative_to(ROOT)}"
    )
    if not args.svg:
        print(summarise(target, args.top))


if __name__ == "__main__":
    main()
