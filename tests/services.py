"""Real backing services for the test suite: FerretDB (MongoDB wire protocol) and Redis.

Each service runs as a child process bound to 127.0.0.1 on a free port with a temporary data
directory, and is stopped (and its directory removed) when the test session ends. Environment
variables point the same tests at servers you run yourself instead:

* ``MONGODB_URI`` — e.g. ``mongodb://127.0.0.1:27017/`` for a real MongoDB;
* ``REDIS_URL`` — e.g. ``redis://127.0.0.1:6379/0``.

A missing service is an error, not a skip: the tests that ask for it must run in CI.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FERRETDB_SCRIPT = ROOT / "scripts" / "ferretdb.sh"
START_TIMEOUT = 30.0


class ServiceError(RuntimeError):
    """A service could not be installed or started; the message says what to do."""


@dataclass
class Service:
    """A running server: where to reach it and how to stop it."""

    url: str
    process: subprocess.Popen[bytes] | None
    workdir: Path | None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceError(f"{name} exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    process.kill()
    raise ServiceError(f"{name} did not answer on 127.0.0.1:{port}:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def ferretdb_binary() -> Path:
    """The pinned FerretDB binary; ``scripts/ferretdb.sh install`` builds it when absent."""
    result = subprocess.run(
        ["bash", str(FERRETDB_SCRIPT), "install"], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise ServiceError(
            "FerretDB is not installed and `scripts/ferretdb.sh install` failed "
            f"(set MONGODB_URI to use another server):\n{result.stderr[-3000:]}"
        )
    path = subprocess.run(
        ["bash", str(FERRETDB_SCRIPT), "path"], check=True, capture_output=True, text=True
    ).stdout.strip()
    return Path(path)


def start_ferretdb() -> Service:
    """Start FerretDB with its SQLite backend in a temporary directory."""
    binary = ferretdb_binary()
    workdir = Path(tempfile.mkdtemp(prefix="aioweb-ferretdb-"))
    (workdir / "data").mkdir()
    port = free_port()
    log = workdir / "log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(binary),
                "--handler=sqlite",
                f"--sqlite-url=file:{workdir / 'data'}/",
                f"--listen-addr=127.0.0.1:{port}",
                f"--state-dir={workdir}",
                "--debug-addr=-",
                "--telemetry=disable",
                "--log-level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    service = Service(f"mongodb://127.0.0.1:{port}/", process, workdir)
    try:
        _wait_for_port(port, process, log, "FerretDB")
    except BaseException:
        service.stop()
        raise
    return service


def start_redis() -> Service:
    """Start a throwaway redis-server: no persistence, loopback only."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceError(
            "redis-server is not installed: run scripts/install-system-deps.sh (or set REDIS_URL)"
        )
    workdir = Path(tempfile.mkdtemp(prefix="aioweb-redis-"))
    port = free_port()
    log = workdir / "log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(workdir),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    service = Service(f"redis://127.0.0.1:{port}/0", process, workdir)
    try:
        _wait_for_port(port, process, log, "redis-server")
    except BaseException:
        service.stop()
        raise
    return service


@contextlib.contextmanager
def mongodb() -> Iterator[str]:
    """Yield a MongoDB URI: ``MONGODB_URI`` if set, else a fresh FerretDB."""
    if uri := os.environ.get("MONGODB_URI"):
        yield uri
        return
    service = start_ferretdb()
    try:
        yield service.url
    finally:
        service.stop()


@contextlib.contextmanager
def redis() -> Iterator[str]:
    """Yield a Redis URL: ``REDIS_URL`` if set, else a fresh redis-server."""
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    service = start_redis()
    try:
        yield service.url
    finally:
        service.stop()
