"""A redis-server the broadcast tests own: they restart it, stop it, and need it to keep its
data across a restart (append-only file), which the shared session server does not do."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from services import ServiceError, free_port


class RedisProcess:
    """redis-server on 127.0.0.1 (or ``host``) with AOF in ``workdir``; restartable."""

    def __init__(self, workdir: Path, host: str = "127.0.0.1", port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceError("redis-server is not installed: run scripts/install-system-deps.sh")
        self.binary = binary
        self.workdir = workdir
        self.host = host
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self, prefix: list[str] | None = None) -> None:
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [*(prefix or []), self.binary, "--port", str(self.port), "--bind", self.host,
             "--save", "", "--protected-mode", "no", "--appendonly", "yes", "--appendfsync", "always",
             "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError((self.workdir / "redis.log").read_text()[-2000:])
            try:
                with socket.create_connection((self.host, self.port), 0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise ServiceError(f"redis-server did not answer on {self.host}:{self.port}")

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.process = None
