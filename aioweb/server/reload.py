"""``--reload``: restart the server process when its source changes (development only).

The reloading process never imports the application. It runs the real server as a child process
(the same command line without ``--reload``), polls the modification times of the watched files,
and on a change stops the child gracefully (``SIGTERM``, then ``SIGKILL`` after
``graceful_timeout``) and starts a fresh one, which imports the edited code from scratch. A
child that fails (a syntax error, a failing ``on_startup``) is not restarted in a loop: the
reloader reports the exit status and waits for the next change.

Polling was chosen over inotify-style watchers: it needs no dependency, works on every file
system (including bind mounts and network shares, where change events often never arrive), and
scanning a project's few hundred ``.py`` files twice a second costs well under a millisecond of
``stat`` calls per file. Directories that are never the application's source are skipped:
hidden directories, ``__pycache__``, ``node_modules``, ``site-packages`` and virtual
environments (any directory holding a ``pyvenv.cfg``). The scan stops at ``max_files`` files with
a warning, so pointing it at a huge tree cannot make it spin.

The child runs in its own process group, so a terminal's Ctrl-C reaches only the reloader, which
then stops the child exactly once; on Linux the child also receives ``SIGTERM`` if the reloader
dies, so no server is left holding the port.
"""

from __future__ import annotations

import ctypes
import fnmatch
import importlib.util
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .log import reload_logger

__all__ = ("Reloader", "changed_files", "run_with_reloader", "scan", "source_roots")

log = reload_logger

Snapshot = dict[str, tuple[int, int]]

_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "dist-packages"})


def source_roots(module: str) -> list[Path]:
    """Where the source of ``module`` (``"pkg.sub.mod"``) lives, without importing it.

    For a module inside a package the whole top-level package is watched, since an edit to any
    sibling module may matter; for a top-level module, the directory that holds it (its helper
    modules usually sit beside it).
    """
    top = module.split(".", 1)[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return []
    if spec.submodule_search_locations:  # a package (namespace packages have no origin)
        dirs = dict.fromkeys(Path(p).resolve() for p in spec.submodule_search_locations)
        return [d for d in dirs if d.is_dir()]
    if spec.origin in (None, "built-in", "frozen") or not os.path.isfile(spec.origin):
        return []
    return [Path(spec.origin).resolve().parent]


def scan(
    roots: Iterable[str | os.PathLike[str]],
    patterns: Sequence[str] = ("*.py",),
    *,
    max_files: int = 10_000,
) -> Snapshot:
    """Map each watched file to its ``(mtime_ns, size)``; roots may be files or directories."""
    snapshot: Snapshot = {}

    def add(path: str) -> bool:
        try:
            st = os.stat(path)
        except OSError:  # vanished between listing and stat
            return True
        snapshot[path] = (st.st_mtime_ns, st.st_size)
        if len(snapshot) >= max_files:
            log.warning("reload: watching only the first %d files", max_files)
            return False
        return True

    for root in roots:
        root = os.fspath(root)
        if os.path.isfile(root):
            if not add(root):
                return snapshot
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".")
                and d not in _SKIP_DIRS
                and not os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg"))
            )
            for name in sorted(filenames):
                matches = any(fnmatch.fnmatch(name, pattern) for pattern in patterns)
                if matches and not add(os.path.join(dirpath, name)):
                    return snapshot
    return snapshot


def changed_files(before: Snapshot, after: Snapshot) -> list[str]:
    """Files added, removed or modified between two snapshots, sorted."""
    return sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux, a ``preexec_fn`` asking the kernel to SIGTERM the child when we die."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:  # runs in the child between fork and exec
        pr_set_pdeathsig = 1
        prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # we died before the prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class Reloader:
    """Run ``args`` as a child process and restart it whenever a watched file changes."""

    def __init__(
        self,
        args: Sequence[str],
        roots: Iterable[str | os.PathLike[str]],
        *,
        patterns: Sequence[str] = ("*.py",),
        interval: float = 0.5,
        graceful_timeout: float = 10.0,
        env: dict[str, str] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.args = list(args)
        self.roots = [Path(r).resolve() for r in roots]
        self.patterns = tuple(patterns)
        self.interval = interval
        self.graceful_timeout = graceful_timeout
        self.env = env
        self.log = logger or log
        self._child: subprocess.Popen[bytes] | None = None
        self._stopping = False
        self._exit_reported = False

    def run(self) -> int:
        """Serve until ``SIGTERM``/``SIGINT``; returns 0 (or the signal's conventional status)."""
        previous = {
            sig: signal.signal(sig, self._on_stop_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        watched = ", ".join(str(r) for r in self.roots) or "nothing"
        self.log.warning("reload: watching %s for changes (development only)", watched)
        try:
            snapshot = scan(self.roots, self.patterns)
            self._start()
            while self._sleep(self.interval):
                self._report_exit()
                current = scan(self.roots, self.patterns)
                changes = changed_files(snapshot, current)
                if not changes:
                    continue
                # Editors save in several steps (write temp, rename): let them finish.
                if not self._sleep(min(self.interval, 0.2)):
                    break
                snapshot = scan(self.roots, self.patterns)
                shown = ", ".join(os.path.relpath(p) for p in changes[:3])
                more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
                self.log.warning("reload: %s changed: restarting", shown + more)
                self._terminate()
                self._start()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._terminate()
        return 0

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless asked to stop (a stop signal is noticed within one interval)."""
        if not self._stopping:
            time.sleep(seconds)
        return not self._stopping

    def _on_stop_signal(self, signum: int, frame: object) -> None:
        self._stopping = True

    def _start(self) -> None:
        self._child = subprocess.Popen(
            self.args,
            env=self.env,
            process_group=0,
            preexec_fn=_parent_death_signal(),
        )
        self._exit_reported = False

    def _report_exit(self) -> None:
        child = self._child
        if child is not None and not self._exit_reported and child.poll() is not None:
            self._exit_reported = True
            self.log.warning(
                "reload: server exited with status %s; waiting for a change to restart it",
                child.returncode,
            )

    def _terminate(self) -> None:
        child, self._child = self._child, None
        if child is None or child.poll() is not None:
            return
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(self.graceful_timeout)
        except subprocess.TimeoutExpired:
            self.log.warning("reload: server did not stop in %.1fs: killing", self.graceful_timeout)
            child.kill()
            child.wait()


def run_with_reloader(
    entry: str,
    argv: Sequence[str],
    *,
    reload_dirs: Iterable[str | os.PathLike[str]] = (),
    module: str = "aioweb",
    interval: float = 0.5,
) -> None:
    """``python -m aioweb --reload module:factory ...``: serve ``python -m <module> <argv>``
    (``argv`` without ``--reload``) in a child process, restarting it when the source of
    ``entry``'s package, or anything under ``reload_dirs``, changes."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as the CLI does, so the entry's package is found
    roots = source_roots(entry.partition(":")[0]) or [Path.cwd()]  # not found yet: a typo to fix
    roots += [Path(d) for d in reload_dirs]
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO)
    status = Reloader([sys.executable, "-m", module, *argv], roots, interval=interval).run()
    if status:
        raise SystemExit(status)
