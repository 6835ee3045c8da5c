"""``run_app(app, workers=N)`` and ``python -m aioweb --workers N``: real processes, one port."""

from __future__ import annotations

import os
import re
import signal
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
    start_slow_request,
    wait_for,
    wait_http,
)

pytestmark = pytest.mark.timeout(90)

APP = str(APPS / "deploy_app.py")


def in_flight_survives_sigterm(proc: Proc, url: str, sig: int = signal.SIGTERM) -> None:
    """Start a 1.5 s request, signal the server, and check the request completes."""
    thread, result = start_slow_request(url)
    time.sleep(0.5)
    proc.signal(sig)
    assert proc.wait(30) == 0, proc.output
    thread.join(10)
    response = result.get("response")
    assert isinstance(response, httpx.Response), result
    assert response.status_code == 200


def test_run_app_workers_two_pids_restart_and_graceful_stop(spawn: Spawn) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = spawn(PYTHON, APP, "--port", str(port), "--workers", "2")
    wait_http(url + "/", proc)
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2)
    workers = {str(p) for p in child_pids(proc.pid)}
    assert pids_answering(url + "/", 2) == workers
    assert f"Running on http://127.0.0.1:{port} with 2 workers" in proc.output

    # A worker dies in the middle of a request: the supervisor starts another one.
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/crash", headers={"Connection": "close"}, timeout=5)
    assert wait_for(lambda: "died (status 13)" in proc.output), proc.output
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2 and "started" in proc.output)
    now = {str(p) for p in child_pids(proc.pid)}
    assert len(now - workers) == 1
    assert wait_for(lambda: pids_answering(url + "/", 2) == now, 10)

    in_flight_survives_sigterm(proc, url)
    assert port_closed(port)
    assert proc.output.count("stopped (status 0)") == 2


def test_cli_workers_serve_from_two_pids_and_stop_on_sigint(spawn: Spawn) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = spawn(
        PYTHON, "-m", "aioweb", "deploy_app:create_app", "--port", str(port), "--workers", "2"
    )
    wait_http(url + "/", proc)
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2)
    assert pids_answering(url + "/", 2) == {str(p) for p in child_pids(proc.pid)}
    # Ctrl-C in a terminal: SIGINT to the supervisor only (workers have their own group).
    in_flight_survives_sigterm(proc, url, signal.SIGINT)
    assert port_closed(port)


def test_port_zero_is_chosen_once_for_all_workers(spawn: Spawn) -> None:
    proc = spawn(PYTHON, APP, "--port", "0", "--workers", "2")
    assert wait_for(lambda: "Running on" in proc.output, 20), proc.output
    port = int(re.search(r"Running on http://127\.0\.0\.1:(\d+)", proc.output)[1])  # type: ignore[index]
    assert port != 0
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/", proc)
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2)
    assert pids_answering(url + "/", 2) == {str(p) for p in child_pids(proc.pid)}


def test_workers_on_a_unix_socket_share_it(spawn: Spawn, tmp_path: Path) -> None:
    sock = tmp_path / "app.sock"
    proc = spawn(PYTHON, APP, "--port", "0", "--path", str(sock), "--workers", "2")
    assert wait_for(sock.exists, 20), proc.output
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2)
    transport = httpx.HTTPTransport(uds=str(sock))
    seen: set[str] = set()
    deadline = time.monotonic() + 20
    with httpx.Client(transport=transport, timeout=5) as client:
        while len(seen) < 2 and time.monotonic() < deadline:
            # Both workers wait on the one socket; whichever wakes first accepts.
            seen.add(client.get("http://app/", headers={"Connection": "close"}).text)
    assert seen == {str(p) for p in child_pids(proc.pid)}
    proc.signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert not sock.exists()  # the supervisor removes the socket file it made


def test_boot_failure_exits_with_status_3(spawn: Spawn) -> None:
    port = free_port()
    proc = spawn(
        PYTHON,
        "-m",
        "aioweb",
        "deploy_app:create_app",
        "--port",
        str(port),
        "--workers",
        "2",
        env={"AIOWEB_FAIL_STARTUP": "1"},
    )
    assert proc.wait(30) == 3, proc.output
    assert "failed to boot" in proc.output
    assert "the database is not there" in proc.output
    assert port_closed(port)


def test_port_in_use_is_reported_before_forking(spawn: Spawn) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = spawn(PYTHON, APP, "--port", str(port), "--workers", "2")
        assert proc.wait(20) != 0
    assert "in use" in proc.output
    assert "starting 2 workers" not in proc.output


def test_run_app_rejects_a_loop_with_workers() -> None:
    import asyncio

    from aioweb import web

    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(ValueError, match="takes no loop"):
            web.run_app(web.Application(), loop=loop, workers=2)
    finally:
        loop.close()


def test_workers_must_be_positive() -> None:
    from aioweb.server.supervisor import Supervisor

    with pytest.raises(ValueError):
        Supervisor(lambda ctx: None, 0)


def test_workers_pids_are_children_not_the_test(spawn: Spawn) -> None:
    # Sanity for the helpers above: child_pids reads the kernel's own list.
    proc = spawn(PYTHON, "-c", "import time; time.sleep(30)")
    assert wait_for(lambda: os.path.exists(f"/proc/{proc.pid}"))
    assert child_pids(proc.pid) == []


def test_cli_trusted_proxies_flag(spawn: Spawn) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/whoami"
    proc = spawn(
        PYTHON,
        "-m",
        "aioweb",
        "deploy_app:app",
        "--port",
        str(port),
        "--trusted-proxies",
        "127.0.0.2",
    )
    wait_http(url, proc)
    headers = {"X-Forwarded-For": "198.51.100.4", "X-Forwarded-Proto": "https"}
    via_proxy = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=via_proxy, timeout=5) as client:
        seen = client.get(url, headers=headers).json()
    assert (seen["remote"], seen["scheme"]) == ("198.51.100.4", "https")
    direct = httpx.get(url, headers=headers, timeout=5).json()
    assert (direct["remote"], direct["scheme"]) == ("127.0.0.1", "http")


def test_cli_rejects_a_bad_trusted_proxy(spawn: Spawn) -> None:
    proc = spawn(PYTHON, "-m", "aioweb", "deploy_app:app", "--trusted-proxies", "proxy.lan")
    assert proc.wait(20) != 0
    assert "--trusted-proxies" in proc.output and "proxy.lan" in proc.output


@pytest.mark.parametrize("workers", ["1", "2"])
def test_repeated_sigterm_does_not_cut_in_flight_requests(spawn: Spawn, workers: str) -> None:
    # systemd's default KillMode signals every process of the service, and the supervisor
    # forwards its own SIGTERM too: each worker may get SIGTERM twice while shutting down.
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = spawn(PYTHON, APP, "--port", str(port), "--workers", workers)
    wait_http(url + "/", proc)
    thread, result = start_slow_request(url)
    time.sleep(0.5)
    targets = [proc.pid, *child_pids(proc.pid)]
    for pid in targets:
        os.kill(pid, signal.SIGTERM)
    time.sleep(0.2)
    for pid in targets:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    thread.join(15)
    assert proc.wait(20) == 0, proc.output
    response = result.get("response")
    assert isinstance(response, httpx.Response), (result, proc.output)
    assert response.status_code == 200


def test_worker_with_a_blocked_event_loop_is_killed_and_replaced(spawn: Spawn) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = spawn(
        PYTHON,
        "-m",
        "aioweb",
        "deploy_app:create_app",
        "--port",
        str(port),
        "--workers",
        "2",
        "--worker-timeout",
        "3",
    )
    wait_http(url + "/", proc)
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2)
    before = set(child_pids(proc.pid))
    # Heartbeats flow: a few quiet seconds longer than the timeout kill nobody.
    time.sleep(4)
    assert set(child_pids(proc.pid)) == before and "silent for" not in proc.output
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/block?seconds=60", timeout=15)
    assert "silent for" in proc.output, proc.output
    assert wait_for(lambda: len(set(child_pids(proc.pid)) - before) == 1), proc.output
    after = set(child_pids(proc.pid))
    assert len(after) == 2
    assert "died (signal 9)" in proc.output
    assert pids_answering(url + "/", 2) == {str(p) for p in after}
