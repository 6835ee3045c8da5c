"""aioweb's gunicorn workers under a real gunicorn master."""

from __future__ import annotations

import signal
import ssl
import time
from pathlib import Path

import httpx
import pytest
from deploy_fixtures import Spawn
from deploy_helpers import (
    APPS,
    PYTHON,
    Proc,
    child_pids,
    free_port,
    pids_answering,
    port_closed,
    self_signed_cert,
    start_slow_request,
    wait_for,
    wait_http,
)

pytest.importorskip("gunicorn")

pytestmark = pytest.mark.timeout(90)


def gunicorn(
    spawn: Spawn, app: str, worker: str, *extra: str, env: dict[str, str] | None = None
) -> tuple[Proc, str, int]:
    port = free_port()
    proc = spawn(
        PYTHON,
        "-m",
        "gunicorn",
        app,
        "--worker-class",
        worker,
        "--bind",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "10",
        "--no-control-socket",
        *extra,
        cwd=APPS,
        env=env,
    )
    return proc, f"http://127.0.0.1:{port}", port


@pytest.mark.parametrize(
    ("app", "worker"),
    [
        ("deploy_app:app", "aioweb.GunicornWebWorker"),
        ("deploy_app:async_factory", "aioweb.GunicornUVLoopWebWorker"),
        ("deploy_app:app", "aioweb.worker.GunicornWebWorker"),
    ],
)
def test_two_gunicorn_workers_serve_and_stop_gracefully(
    spawn: Spawn, app: str, worker: str
) -> None:
    proc, url, port = gunicorn(spawn, app, worker, "--workers", "2")
    wait_http(url + "/", proc)
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2)
    assert pids_answering(url + "/", 2) == {str(p) for p in child_pids(proc.pid)}

    thread, result = start_slow_request(url)
    time.sleep(0.5)
    proc.signal(signal.SIGTERM)  # gunicorn's graceful stop
    thread.join(15)
    assert proc.wait(20) == 0, proc.output
    response = result.get("response")
    assert isinstance(response, httpx.Response), result
    assert response.status_code == 200
    assert port_closed(port)


@pytest.mark.parametrize(
    ("worker", "loop"),
    [("aioweb.GunicornUVLoopWebWorker", "uvloop"), ("aioweb.GunicornWebWorker", "asyncio")],
)
def test_worker_event_loop(spawn: Spawn, worker: str, loop: str) -> None:
    proc, url, _ = gunicorn(spawn, "deploy_app:app", worker, "--workers", "1")
    assert wait_http(url + "/loop", proc).text.split(".")[0] == loop


def test_max_requests_recycles_the_worker(spawn: Spawn) -> None:
    proc, url, _ = gunicorn(
        spawn, "deploy_app:app", "aioweb.GunicornWebWorker", "--workers", "1", "--max-requests", "5"
    )
    first = wait_http(url + "/", proc).text
    pids = {first}
    deadline = time.monotonic() + 30
    while len(pids) < 2 and time.monotonic() < deadline:
        try:
            pids.add(httpx.get(url + "/", headers={"Connection": "close"}, timeout=5).text)
        except httpx.TransportError:
            time.sleep(0.1)  # between the old worker leaving and the new one booting
    assert len(pids) >= 2, proc.output
    assert "Max requests, shutting down" in proc.output


def test_crashed_worker_is_replaced_by_the_master(spawn: Spawn) -> None:
    proc, url, _ = gunicorn(spawn, "deploy_app:app", "aioweb.GunicornWebWorker", "--workers", "1")
    before = wait_http(url + "/", proc).text
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/crash", timeout=5)
    after = wait_http(url + "/", proc).text
    assert after != before


def test_boot_failure_halts_gunicorn(spawn: Spawn) -> None:
    # on_startup raises: the worker exits before booting, and the master halts (status 3)
    # instead of forking failing workers forever.
    proc, _, port = gunicorn(
        spawn,
        "deploy_app:create_app()",
        "aioweb.GunicornWebWorker",
        # One worker: with two, gunicorn's own halt() may reap the second failed worker while
        # stopping and raise HaltServer again, uncaught, exiting 1 instead of 3 (a gunicorn race).
        "--workers",
        "1",
        env={"AIOWEB_FAIL_STARTUP": "1"},
    )
    assert proc.wait(30) == 3, proc.output
    assert "the database is not there" in proc.output
    assert port_closed(port)


def test_gunicorn_style_access_log_format_is_refused(spawn: Spawn) -> None:
    proc, _, _ = gunicorn(
        spawn,
        "deploy_app:app",
        "aioweb.GunicornWebWorker",
        "--access-logfile",
        "-",
        "--access-logformat",
        "%(h)s %(r)s",
    )
    assert proc.wait(30) != 0
    assert "gunicorn-style access log formats" in proc.output


def test_access_log_through_gunicorn(spawn: Spawn) -> None:
    proc, url, _ = gunicorn(
        spawn, "deploy_app:app", "aioweb.GunicornWebWorker", "--access-logfile", "-"
    )
    wait_http(url + "/whoami", proc)
    assert wait_for(lambda: '"GET /whoami HTTP/1.1" 200' in proc.output), proc.output


def test_importing_aioweb_does_not_import_gunicorn() -> None:
    import subprocess

    code = (
        "import sys, aioweb; from aioweb import web; assert 'gunicorn' not in sys.modules; "
        "assert aioweb.GunicornWebWorker is web.GunicornUVLoopWebWorker.__mro__[1]; "
        "assert 'gunicorn' in sys.modules"
    )
    subprocess.run([PYTHON, "-c", code], check=True, timeout=60)


def test_tls_options_serve_https(spawn: Spawn, tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    proc, url, _ = gunicorn(
        spawn,
        "deploy_app:app",
        "aioweb.GunicornWebWorker",
        "--certfile",
        str(cert),
        "--keyfile",
        str(key),
    )
    https = url.replace("http://", "https://")
    context = ssl.create_default_context(cafile=str(cert))
    deadline = time.monotonic() + 20
    while True:
        try:
            seen = httpx.get(https + "/whoami", verify=context, timeout=5).json()
            break
        except httpx.TransportError:
            assert proc.popen.poll() is None, proc.output
            assert time.monotonic() < deadline, proc.output
            time.sleep(0.2)
    assert seen["scheme"] == "https" and seen["secure"] is True


def test_unix_socket_bind(spawn: Spawn, tmp_path: Path) -> None:
    sock = tmp_path / "gunicorn.sock"
    port = free_port()
    proc = spawn(
        PYTHON,
        "-m",
        "gunicorn",
        "deploy_app:app",
        "--worker-class",
        "aioweb.GunicornWebWorker",
        "--bind",
        f"unix:{sock}",
        "--bind",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        cwd=APPS,
    )
    tcp = wait_http(f"http://127.0.0.1:{port}/", proc).text
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), timeout=5) as client:
        assert client.get("http://gunicorn/").text == tcp  # one worker serves both sockets
