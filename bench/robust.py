"""What ``probes.py`` and ``soak.py`` share: the robustness app's servers and the results file.

Servers are started with ``run.py``'s ``RunningServer`` (own process group, bounded start-up,
CPU and ``/proc`` RSS probes), running ``bench/apps/robust_app.py`` over a static tree laid out
by that app's ``make_static_tree``.  Results go to ``bench/results/<date>-<kind>.md``, as the
feature benchmarks' do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH / "apps"))

from robust_app import make_static_tree  # noqa: E402
from run import PY, ROOT, RunningServer, ServerSpec, _module_version  # noqa: E402

APP = BENCH / "apps" / "robust_app.py"
FRAMEWORKS = ("aioweb", "aiohttp")
LOG_ERRORS = re.compile(rb"Traceback \(most recent call last\)|Fatal error")


def robust_spec(
    framework: str, static_root: Path, tree: Path | None = None, workers: int = 1
) -> ServerSpec:
    """The robustness app on ``framework``, serving ``static_root`` at ``/static``.

    ``tree``: a directory to import the framework from instead of this checkout (an older
    revision, to compare before and after a change)."""
    env = {"PYTHONPATH": str(tree.resolve())} if tree else {}
    return ServerSpec(
        framework,
        lambda port: [
            PY,
            str(APP),
            "--framework",
            framework,
            "--port",
            str(port),
            "--static-root",
            str(static_root),
            *(["--workers", str(workers)] if workers != 1 else []),
        ],
        lambda: None,
        env,
    )


@contextlib.contextmanager
def static_tree() -> Iterator[Path]:
    """A fresh static tree in a temporary directory (removed afterwards); yields its root."""
    with tempfile.TemporaryDirectory(prefix="aioweb-robust-") as tmp:
        yield make_static_tree(Path(tmp))


def start(
    framework: str,
    static_root: Path,
    tree: Path | None = None,
    cpus: set[int] | None = None,
    workers: int = 1,
) -> RunningServer:
    """Start the robustness app on ``framework`` and wait until it answers ``GET /``."""
    return RunningServer(robust_spec(framework, static_root, tree, workers), cpus=cpus)


def peak_rss(server: RunningServer) -> int:
    """The kernel's RSS high-water mark (``VmHWM``) summed over the server's processes: a
    memory spike between two samples still shows here."""
    total = 0
    for pid in server.pids():
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) * 1024
    return total


def log_size(server: RunningServer) -> int:
    """Bytes the server has written to its log so far."""
    return os.fstat(server.log.fileno()).st_size


def log_errors(server: RunningServer, offset: int = 0) -> int:
    """Tracebacks and fatal errors the server logged after ``offset``.

    Read with ``pread``: the log's file offset is shared with the server process, and moving it
    would make the server overwrite its own log."""
    fd = server.log.fileno()
    return len(LOG_ERRORS.findall(os.pread(fd, max(0, log_size(server) - offset), offset)))


def versions() -> str:
    """aioweb's commit (and whether the tree has uncommitted changes), peers, Python."""
    parts = [f"Python {platform.python_version()}"]
    for dist in ("aiohttp", "uvloop"):
        if v := _module_version(dist):
            parts.append(f"{dist} {v}")
    try:
        git = ["git", "-C", str(ROOT)]
        rev = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "aioweb"], capture_output=True, text=True
        )
        mark = " + uncommitted changes in aioweb/" if dirty.stdout.strip() else ""
        parts.insert(0, f"aioweb @ {rev.stdout.strip()}{mark}")
    except OSError:
        pass
    return ", ".join(parts)


def write_results(kind: str, text: str) -> Path:
    """Write ``text`` to ``bench/results/<date>-<kind>.md`` and return the path."""
    out = BENCH / "results" / f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d')}-{kind}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text.rstrip() + "\n")
    return out


def load_average() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
