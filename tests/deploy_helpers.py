"""Helpers for tests that run real processes on real sockets (deployment, workers, reload)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
APPS = Path(__file__).resolve().parent / "deploy_apps"
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proc:
    """A child process whose combined output goes to a file (shown when a test fails)."""

    def __init__(self, args: list[str], log: Path, cwd: Path, env: dict[str, str]) -> None:
        self.args = args
        self.log_path = log
        with log.open("wb") as out:  # the child writes to its own copy of the descriptor
            self.popen = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env
            )
        self.pid = self.popen.pid

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        self.popen.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


def wait_http(url: str, proc: Proc | None = None, timeout: float = 20.0) -> httpx.Response:
    """GET ``url`` until it answers; fail early with the output if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if proc is not None and proc.popen.poll() is not None:
                code = proc.popen.returncode
                raise AssertionError(f"process exited {code}:\n{proc.output}") from None
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer in {timeout}s") from None
            time.sleep(0.1)


def pids_answering(url: str, want: int, attempts: int = 200) -> set[str]:
    """Open fresh connections until ``want`` distinct worker pids answered (or give up)."""
    seen: set[str] = set()
    for _ in range(attempts):
        response = httpx.get(url, headers={"Connection": "close"}, timeout=5)
        assert response.status_code == 200
        seen.add(response.text.strip())
        if len(seen) >= want:
            break
    return seen


def start_slow_request(url: str) -> tuple[threading.Thread, dict[str, object]]:
    """``GET url/slow`` from a thread started now: the dict gets ``"response"`` or ``"error"``
    (for tests that signal the server while a request is in flight)."""
    result: dict[str, object] = {}

    def slow() -> None:
        try:
            result["response"] = httpx.get(url + "/slow", timeout=15)
        except Exception as exc:  # reported by the test
            result["error"] = exc

    thread = threading.Thread(target=slow)
    thread.start()
    return thread, result


def port_closed(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def child_pids(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except FileNotFoundError:
        return []


def wait_for(
    predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def self_signed_cert(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A throwaway certificate and key for a TLS listener on ``host`` (PEM files)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aioweb test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
