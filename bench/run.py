"""One command for every aioweb benchmark: aioweb against aiohttp (and peers) in the same run.

    .venv/bin/python bench/run.py [--quick] [--workloads plaintext json ...] [--rounds N]

Method (why each choice):
- The same application (``bench/apps/app.py``) runs on aiohttp and on aioweb; only the import
  differs.  uvloop for both, access log off.  uvicorn+Starlette and granian (RSGI) run the same
  routes when installed, and ``floor`` (httptools + uvloop with fixed replies) shows the least a
  pure-Python server costs here.
- Every server process is pinned to CPU 0 and ``wrk -t1 -c64`` to CPU 1, so the load generator
  never steals the server's core.  The machine is shared and noisy, so besides req/s we report
  the server's CPU time per request (user+sys of its whole process tree from /proc, before and
  after each run, divided by the requests wrk completed): the figure that survives noise.
- Rounds are interleaved: each round runs every workload against every server, in an order
  rotated per round, so drift in the machine's load spreads over all servers alike.  Ratios are
  computed per round (aioweb and aiohttp measured minutes apart at most) and shown as the median
  with min-max over rounds.
- Every wrk run is bounded (``-d``, ``--timeout``, a subprocess timeout) and the whole run is
  bounded by ``--max-minutes``; load goes to 127.0.0.1 only.

Results are printed and written to ``bench/results/<date>-<time>.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVER_CPU = 0
CLIENT_CPU = 1
HELLO = b"Hello, World!"
POST_SIZE = 64 * 1024
PIPELINE_DEPTH = 16
IDLE_CONNECTIONS = 5000


# --------------------------------------------------------------------------- servers


@dataclass
class ServerSpec:
    """How to start one server on a given port, and whether it can run here."""

    name: str
    command: Callable[[int], list[str]]
    available: Callable[[], str | None]  # None when runnable, else the reason to skip
    env: dict[str, str] = field(default_factory=dict)


def _module_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _needs(*dists: str) -> Callable[[], str | None]:
    def check() -> str | None:
        missing = [d for d in dists if _module_version(d) is None]
        return f"not installed: {', '.join(missing)}" if missing else None

    return check


def _aioweb_available() -> str | None:
    probe = "import aioweb as web; web.Application; web.run_app; web.Response; web.json_response"
    proc = subprocess.run([PY, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["import failed"])[-1]
        return f"aioweb core not usable yet ({last})"
    return None


def _app(framework: str) -> Callable[[int], list[str]]:
    return lambda port: [
        PY,
        str(BENCH / "apps" / "app.py"),
        "--framework",
        framework,
        "--port",
        str(port),
    ]


SERVERS: dict[str, ServerSpec] = {
    "aioweb": ServerSpec("aioweb", _app("aioweb"), _aioweb_available),
    "aiohttp": ServerSpec("aiohttp", _app("aiohttp"), _needs("aiohttp", "uvloop")),
    "uvicorn": ServerSpec(
        "uvicorn",
        lambda port: [
            PY,
            "-m",
            "uvicorn",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            "--port",
            str(port),
            "bench.apps.starlette_app:app",
        ],
        _needs("uvicorn", "starlette", "uvloop", "httptools"),
    ),
    "granian": ServerSpec(
        "granian",
        lambda port: [
            str(Path(PY).parent / "granian"),
            "--interface",
            "rsgi",
            "--loop",
            "uvloop",
            "--workers",
            "1",
            "--runtime-threads",
            "1",
            "--no-ws",
            "--backlog",
            "8192",
            "--backpressure",
            "8192",
            "--log-level",
            "warning",
            "--port",
            str(port),
            "bench.apps.rsgi_app:app",
        ],
        _needs("granian", "uvloop"),
    ),
    "floor": ServerSpec(
        "floor",
        lambda port: [PY, str(BENCH / "apps" / "floor.py"), "--port", str(port)],
        _needs("httptools", "uvloop"),
    ),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_preexec(cpus: set[int] | None) -> Callable[[], None]:
    def preexec() -> None:
        os.setsid()  # own process group, so stopping it stops its workers too
        if cpus is not None:
            os.sched_setaffinity(0, cpus)
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    return preexec


class RunningServer:
    """A started server process (and its children), with CPU and memory probes."""

    def __init__(
        self,
        spec: ServerSpec,
        cpus: set[int] | None = frozenset({SERVER_CPU}),
        extra_args: list[str] | None = None,
    ) -> None:
        self.spec = spec
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), **spec.env}
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(
            spec.command(self.port) + (extra_args or []),
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=_server_preexec(set(cpus) if cpus is not None else None),
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited early:\n{self.output()}")
            try:
                status, _ = http_get(self.port, "/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.spec.name} did not answer within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def pids(self) -> list[int]:
        """The server process and all its descendants (workers of multi-process servers)."""
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def cpu_seconds(self) -> float:
        """user+sys CPU of the whole process tree so far."""
        ticks = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / CLK_TCK

    def rss_bytes(self) -> int:
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


def http_get(
    port: int,
    path: str,
    method: str = "GET",
    body: bytes | None = None,
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"Content-Type": "application/octet-stream"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# --------------------------------------------------------------------------- workloads

REPORT_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""

PIPELINE_LUA = (
    "init = function(args)\n"
    "  local r = {}\n"
    f"  for i = 1, {PIPELINE_DEPTH} do r[i] = wrk.format(nil, wrk.path) end\n"
    "  req = table.concat(r)\n"
    "end\n"
    "request = function() return req end\n"
)

POST_LUA = (
    'wrk.method = "POST"\n'
    f'wrk.body = string.rep("x", {POST_SIZE})\n'
    'wrk.headers["Content-Type"] = "application/octet-stream"\n'
)


@dataclass
class Workload:
    name: str
    title: str
    path: str
    expect: bytes
    lua: str = ""
    method: str = "GET"
    body: bytes | None = None


WRK_WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in [
        Workload("plaintext", "plaintext `GET /`", "/", HELLO),
        Workload("json", "JSON `GET /json`", "/json", b'{"message": "Hello, World!"}'),
        Workload("param", "`GET /user/{id}` after 50 routes", "/user/42", b"user 42"),
        Workload(
            "pipelined", f"{PIPELINE_DEPTH}-deep pipelined plaintext", "/", HELLO, PIPELINE_LUA
        ),
        Workload(
            "post64k",
            "64 KiB POST echo",
            "/echo",
            b"x" * POST_SIZE,
            POST_LUA,
            "POST",
            b"x" * POST_SIZE,
        ),
    ]
}
SPECIAL_WORKLOADS = ["memory", "scale"]
FEATURE_SCRIPTS = {
    "websocket": "bench_websocket.py",
    "bodies": "bench_bodies.py",
    "gridfs": "bench_gridfs.py",
    "ecosystem": "bench_ecosystem.py",
}
ALL_WORKLOADS = [*WRK_WORKLOADS, *SPECIAL_WORKLOADS, *FEATURE_SCRIPTS]


def check_reply(port: int, w: Workload) -> str | None:
    """A server must answer the workload correctly before its speed counts."""
    try:
        status, body = http_get(port, w.path, w.method, w.body)
    except OSError as exc:
        return f"request failed: {exc}"
    if status != 200:
        return f"status {status}"
    if w.name == "json":
        try:
            if json.loads(body) != json.loads(w.expect):
                return f"unexpected JSON {body[:60]!r}"
        except ValueError:
            return f"not JSON: {body[:60]!r}"
    elif body.strip() != w.expect:
        return f"unexpected body {body[:60]!r}"
    return None


@dataclass
class Sample:
    server: str
    workload: str
    round: int
    rps: float
    p99_ms: float
    cpu_us: float
    errors: int


def run_wrk(
    port: int,
    w: Workload,
    duration: float,
    connections: int,
    threads: int = 1,
    cpus: str | None = str(CLIENT_CPU),
) -> dict[str, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(w.lua + REPORT_LUA)
        script = f.name
    try:
        cmd = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "5s",
            "-s",
            script,
            f"http://127.0.0.1:{port}{w.path}",
        ]
        if cpus is not None:
            cmd = ["taskset", "-c", cpus, *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
    finally:
        os.unlink(script)
    for line in proc.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[8:])
    raise RuntimeError(f"wrk printed no result: {proc.stdout}\n{proc.stderr}")


def measure(
    server: RunningServer, w: Workload, duration: float, connections: int, rnd: int
) -> Sample:
    cpu0 = server.cpu_seconds()
    res = run_wrk(server.port, w, duration, connections)
    cpu1 = server.cpu_seconds()
    requests = max(res["requests"], 1)
    errors = sum(res[k] for k in ("connect", "read", "write", "status", "timeout"))
    # wrk's coordinated-omission correction can leave its histogram unable to reach the upper
    # ranks (it then answers 0, as it does for pipelined runs): report no figure, not a false one.
    p99 = res["p99_us"] / 1000 if res["p99_us"] >= res["p50_us"] > 0 else float("nan")
    return Sample(
        server=server.spec.name,
        workload=w.name,
        round=rnd,
        rps=res["requests"] / (res["duration_us"] / 1e6),
        p99_ms=p99,
        cpu_us=(cpu1 - cpu0) * 1e6 / requests,
        errors=errors,
    )


# --------------------------------------------------------------------------- memory, scale


@dataclass
class MemorySample:
    server: str
    round: int
    per_conn_kib: float
    base_mib: float
    opened: int
    alive: int


def measure_memory(spec: ServerSpec, rnd: int, count: int) -> MemorySample:
    server = RunningServer(spec)
    try:
        for _ in range(50):  # warm the request path so its one-off allocations are in the base
            http_get(server.port, "/")
        time.sleep(0.3)
        base = server.rss_bytes()
        client = subprocess.Popen(
            [
                "taskset",
                "-c",
                str(CLIENT_CPU),
                PY,
                str(BENCH / "idle_conns.py"),
                str(server.port),
                str(count),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert client.stdout is not None and client.stdin is not None
            ready = _read_line(client, "READY", 120)
            opened = int(ready.split()[1])
            time.sleep(1.0)
            rss = server.rss_bytes()
            client.stdin.write("check\n")
            client.stdin.flush()
            alive = int(_read_line(client, "ALIVE", 30).split()[1])
        finally:
            client.kill()
            client.wait(10)
        per_conn = (rss - base) / max(opened, 1) / 1024
        return MemorySample(spec.name, rnd, per_conn, base / 2**20, opened, alive)
    finally:
        server.stop()


def _read_line(proc: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"idle client exited before {prefix}")
        if line.startswith(prefix):
            return line
    raise RuntimeError(f"idle client: no {prefix} in {timeout}s")


def aioweb_workers_flag() -> str | None:
    """The app script's ``--workers`` option exists once aioweb's run_app takes workers=."""
    probe = (
        "import inspect, aioweb as w; print('workers' in inspect.signature(w.run_app).parameters)"
    )
    proc = subprocess.run([PY, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0 or proc.stdout.strip() != "True":
        return "aioweb.run_app has no workers= option yet"
    return None


@dataclass
class ScaleSample:
    round: int
    rps1: float
    rps2: float


def measure_scale(duration: float, rnd: int) -> ScaleSample:
    """Plaintext req/s with 2 workers vs 1.  Both cores are shared with wrk here: see the doc."""
    w = WRK_WORKLOADS["plaintext"]
    rps = {}
    for workers in (1, 2):
        server = RunningServer(SERVERS["aioweb"], cpus=None, extra_args=["--workers", str(workers)])
        try:
            run_wrk(server.port, w, 1, 128, threads=2, cpus=None)
            res = run_wrk(server.port, w, duration, 128, threads=2, cpus=None)
            rps[workers] = res["requests"] / (res["duration_us"] / 1e6)
        finally:
            server.stop()
    return ScaleSample(rnd, rps[1], rps[2])


# --------------------------------------------------------------------------- reporting


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def span(values: list[float], fmt: str) -> str:
    values = [v for v in values if v == v]  # drop NaN (no figure)
    if not values:
        return "\u2013"
    if len(values) == 1:
        return format(values[0], fmt)
    return (
        f"{format(med(values), fmt)} ({format(min(values), fmt)}\u2013{format(max(values), fmt)})"
    )


def ratios(
    samples: list[Sample],
    server: str,
    base: str,
    workload: str,
    key: Callable[[Sample], float],
    invert: bool = False,
) -> list[float]:
    """Per-round ratio server/base of ``key`` (base/server when ``invert``)."""
    by_round: dict[int, dict[str, float]] = {}
    for s in samples:
        if s.workload == workload:
            by_round.setdefault(s.round, {})[s.server] = key(s)
    out = []
    for vals in by_round.values():
        if server in vals and base in vals and vals[server] and vals[base]:
            out.append(vals[base] / vals[server] if invert else vals[server] / vals[base])
    return out


def report(
    samples: list[Sample],
    memory: list[MemorySample],
    scale: list[ScaleSample],
    features: dict[str, str],
    skipped: dict[str, str],
    servers: list[str],
    workloads: list[str],
    meta: dict[str, str],
) -> str:
    lines = [f"# Benchmark run {meta['date']}", ""]
    lines += [f"- {k}: {v}" for k, v in meta.items() if k != "date"]
    lines += [
        "",
        "Ratios are per round (same run), shown as median (min\u2013max over rounds). "
        "`x req/s` = server req/s ÷ aiohttp req/s; `x CPU` = aiohttp CPU µs/req ÷ server "
        "CPU µs/req (higher is better for both).",
        "",
    ]
    if skipped:
        lines += ["Skipped:", ""] + [f"- {k}: {v}" for k, v in skipped.items()] + [""]
    for wname in workloads:
        if wname not in WRK_WORKLOADS:
            continue
        w = WRK_WORKLOADS[wname]
        rows = [s for s in samples if s.workload == wname]
        if not rows:
            continue
        lines += [
            f"## {w.title}",
            "",
            "| server | req/s | p99 ms | CPU µs/req | x req/s | x CPU | errors |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in servers:
            mine = [s for s in rows if s.server == name]
            if not mine:
                continue
            r_rps = ratios(samples, name, "aiohttp", wname, lambda s: s.rps)
            r_cpu = ratios(samples, name, "aiohttp", wname, lambda s: s.cpu_us, invert=True)
            lines.append(
                f"| {name} | {span([s.rps for s in mine], ',.0f')} "
                f"| {span([s.p99_ms for s in mine], '.2f')} "
                f"| {span([s.cpu_us for s in mine], '.1f')} "
                f"| {span(r_rps, '.2f') if name != 'aiohttp' else '1'} "
                f"| {span(r_cpu, '.2f') if name != 'aiohttp' else '1'} "
                f"| {sum(s.errors for s in mine)} |"
            )
        lines.append("")
    if memory:
        lines += [
            f"## Memory: RSS per idle keep-alive connection ({IDLE_CONNECTIONS:,} connections)",
            "",
            "| server | KiB per connection | base RSS MiB | opened | still open |",
            "|---|---|---|---|---|",
        ]
        for name in servers:
            mine = [m for m in memory if m.server == name]
            if mine:
                lines.append(
                    f"| {name} | {span([m.per_conn_kib for m in mine], '.2f')} "
                    f"| {span([m.base_mib for m in mine], '.1f')} "
                    f"| {min(m.opened for m in mine)} | {min(m.alive for m in mine)} |"
                )
        lines.append("")
    if scale:
        lines += [
            "## Scale: aioweb plaintext, `--workers 2` vs 1 (server and wrk share both cores)",
            "",
            "| workers=1 req/s | workers=2 req/s | ratio |",
            "|---|---|---|",
            f"| {span([s.rps1 for s in scale], ',.0f')} "
            f"| {span([s.rps2 for s in scale], ',.0f')} "
            f"| {span([s.rps2 / s.rps1 for s in scale], '.2f')} |",
            "",
        ]
    for name, text in features.items():
        lines += [f"## Feature benchmark: {name}", "", text.strip(), ""]
    return "\n".join(lines)


def versions() -> str:
    parts = []
    for dist in ("aiohttp", "uvloop", "httptools", "uvicorn", "starlette", "granian"):
        v = _module_version(dist)
        if v:
            parts.append(f"{dist} {v}")
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        parts.insert(0, f"aioweb @ {rev}")
    except OSError:
        pass
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    parts.append((wrk.stdout or wrk.stderr).split(" Copyright")[0].strip())
    return ", ".join(parts)


def write_chart(markdown: Path) -> None:
    """The SVG chart beside the results file (``bench/charts.py``, matplotlib: extra ``bench``).

    A missing matplotlib costs the chart, not the run: the markdown is already written, and
    ``bench/charts.py FILE`` draws the chart later.
    """
    sys.path.insert(0, str(BENCH))
    try:
        import charts

        svg = charts.write_chart(markdown)
    except ModuleNotFoundError as exc:
        print(f"no chart ({exc}); pip install -e '.[bench]', then bench/charts.py {markdown}")
        return
    finally:
        sys.path.remove(str(BENCH))
    if svg:
        print(f"chart written to {svg.relative_to(ROOT)}")


# --------------------------------------------------------------------------- main


def feature_args(script: Path, quick: bool, rounds: int) -> list[str]:
    """Pass ``--quick``/``--rounds`` on to a feature benchmark only if it takes them."""
    helptext = subprocess.run(
        [PY, str(script), "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout
    out = []
    if quick and "--quick" in helptext:
        out.append("--quick")
    elif "--rounds" in helptext:
        out += ["--rounds", str(rounds)]
    return out


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk missing: installing Debian's package", flush=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, timeout=600)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update"], check=False, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, timeout=600)


def rotated(items: list[str], k: int) -> list[str]:
    k %= max(len(items), 1)
    return items[k:] + items[:k]


@contextlib.contextmanager
def started(specs: list[ServerSpec], skipped: dict[str, str]) -> Iterator[dict[str, RunningServer]]:
    running: dict[str, RunningServer] = {}
    try:
        for spec in specs:
            try:
                running[spec.name] = RunningServer(spec)
            except RuntimeError as exc:
                skipped[spec.name] = str(exc).splitlines()[0]
        yield running
    finally:
        for server in running.values():
            server.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="aioweb vs aiohttp (and peers) benchmark harness")
    p.add_argument(
        "--quick",
        action="store_true",
        help="1 round, 2 s runs, aioweb and aiohttp only, no memory/scale/features",
    )
    p.add_argument(
        "--workloads",
        nargs="+",
        choices=ALL_WORKLOADS,
        metavar="W",
        help=f"subset of: {' '.join(ALL_WORKLOADS)}",
    )
    p.add_argument(
        "--servers",
        nargs="+",
        choices=list(SERVERS),
        metavar="S",
        help=f"subset of: {' '.join(SERVERS)} (default: all installed)",
    )
    p.add_argument("--rounds", type=int, help="rounds (default 3, quick 1)")
    p.add_argument("--duration", type=int, help="seconds per wrk run (default 5, quick 2)")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--idle-connections", type=int, default=IDLE_CONNECTIONS)
    p.add_argument(
        "--max-minutes",
        type=float,
        default=40.0,
        help="stop starting new runs after this long (results so far are kept)",
    )
    p.add_argument("--no-write", action="store_true", help="print only; write no results file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 3)
    duration = args.duration or (2.0 if args.quick else 5.0)
    if args.workloads:
        workloads = args.workloads
    elif args.quick:
        workloads = list(WRK_WORKLOADS)
    else:
        workloads = ALL_WORKLOADS
    wanted = args.servers or (["aioweb", "aiohttp"] if args.quick else list(SERVERS))
    deadline = time.monotonic() + args.max_minutes * 60
    load_start = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    ensure_wrk()

    skipped: dict[str, str] = {}
    specs = []
    for name in wanted:
        reason = SERVERS[name].available()
        if reason:
            skipped[name] = reason
            print(f"skip {name}: {reason}", flush=True)
        else:
            specs.append(SERVERS[name])
    names = [s.name for s in specs]

    samples: list[Sample] = []
    memory: list[MemorySample] = []
    scale: list[ScaleSample] = []
    features: dict[str, str] = {}
    wrk_names = [w for w in workloads if w in WRK_WORKLOADS]

    if wrk_names and specs:
        with started(specs, skipped) as running:
            for name, server in running.items():  # warm-up: every workload once, 1 s
                for wname in wrk_names:
                    w = WRK_WORKLOADS[wname]
                    problem = check_reply(server.port, w)
                    if problem:
                        skipped[f"{name}/{wname}"] = problem
                        print(f"skip {name}/{wname}: {problem}", flush=True)
                    else:
                        run_wrk(server.port, w, 1, args.connections)
            for rnd in range(rounds):
                for wname in wrk_names:
                    for name in rotated(list(running), rnd):
                        if f"{name}/{wname}" in skipped or time.monotonic() > deadline:
                            continue
                        s = measure(
                            running[name], WRK_WORKLOADS[wname], duration, args.connections, rnd
                        )
                        samples.append(s)
                        print(
                            f"round {rnd + 1} {wname:9} {name:8} {s.rps:10,.0f} req/s "
                            f"p99 {s.p99_ms:7.2f} ms  {s.cpu_us:6.1f} µs/req"
                            f"{f'  ERRORS {s.errors}' if s.errors else ''}",
                            flush=True,
                        )

    if "memory" in workloads:
        for rnd in range(rounds):
            for spec in [SERVERS[n] for n in rotated(names, rnd)]:
                if time.monotonic() > deadline:
                    break
                try:
                    m = measure_memory(spec, rnd, args.idle_connections)
                except RuntimeError as exc:
                    skipped[f"{spec.name}/memory"] = str(exc).splitlines()[0]
                    continue
                memory.append(m)
                print(
                    f"round {rnd + 1} memory    {spec.name:8} {m.per_conn_kib:8.2f} KiB/conn "
                    f"(opened {m.opened}, alive {m.alive}, base {m.base_mib:.1f} MiB)",
                    flush=True,
                )

    if "scale" in workloads:
        reason = skipped.get("aioweb") or aioweb_workers_flag()
        if reason:
            skipped["scale"] = reason
            print(f"skip scale: {reason}", flush=True)
        else:
            for rnd in range(rounds):
                if time.monotonic() > deadline:
                    break
                sc = measure_scale(duration, rnd)
                scale.append(sc)
                print(
                    f"round {rnd + 1} scale     1 worker {sc.rps1:,.0f} req/s, 2 workers "
                    f"{sc.rps2:,.0f} req/s ({sc.rps2 / sc.rps1:.2f}x)",
                    flush=True,
                )

    for key, script in FEATURE_SCRIPTS.items():
        if key not in workloads:
            continue
        path = BENCH / script
        if not path.exists():
            skipped[key] = f"bench/{script} does not exist yet"
            continue
        remaining = deadline - time.monotonic()
        if remaining < 60:
            skipped[key] = "out of time (--max-minutes)"
            continue
        cmd = [PY, str(path), *feature_args(path, args.quick, rounds)]
        print(f"running {' '.join(cmd[1:])}", flush=True)
        try:
            proc = subprocess.run(
                cmd,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=min(remaining, 1200),
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            text = proc.stdout
            if proc.returncode != 0:
                tail = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
                text = f"exit {proc.returncode}\n\n```\n{tail}\n```"
        except subprocess.TimeoutExpired:
            text = "timed out"
        features[key] = text
        print(text, flush=True)

    now = dt.datetime.now(dt.UTC)
    meta = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "method": (
            f"servers pinned to CPU {SERVER_CPU}, wrk -t1 -c{args.connections} pinned to "
            f"CPU {CLIENT_CPU}, {duration:g} s per run, {rounds} round(s) interleaved"
        ),
        "machine": f"{os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}",
        "versions": versions(),
        "load average": f"{load_start} at the start, "
        + "{:.1f} {:.1f} {:.1f} at the end".format(*os.getloadavg())
        + " (other work on this machine inflates CPU µs and adds noise)",
    }
    text = report(samples, memory, scale, features, skipped, names, workloads, meta)
    print("\n" + text)
    if not args.no_write:
        suffix = "-quick" if args.quick else ""
        out = BENCH / "results" / f"{now.strftime('%Y-%m-%d-%H%M')}{suffix}.md"
        out.parent.mkdir(exist_ok=True)
        out.write_text(text + "\n")
        print(f"written to {out.relative_to(ROOT)}")
        write_chart(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
