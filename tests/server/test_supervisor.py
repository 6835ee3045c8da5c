"""The process supervisor alone, driving a bare asyncio server (``apps/raw_supervised.py``).

Everything here is real: forked workers with their own SO_REUSEPORT sockets, signals, and HTTP
requests from httpx over 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import httpx
import pytest
from deploy_fixtures import Spawn
from deploy_helpers import (
    APPS,
    PYTHON,
    Proc,
    child_pids,
    pids_answering,
    port_closed,
    wait_for,
    wait_http,
)

pytestmark = pytest.mark.timeout(60)

RAW = str(APPS / "raw_supervised.py")


def start_raw(spawn: Spawn, workers: int, mode: str = "ok") -> tuple[Proc, str, int]:
    proc = spawn(PYTHON, RAW, "0", str(workers), mode)
    assert wait_for(lambda: "PORT " in proc.output, 20), proc.output
    port = int(re.search(r"PORT (\d+)", proc.output)[1])  # type: ignore[index]
    return proc, f"http://127.0.0.1:{port}", port


def test_two_workers_share_one_port(spawn: Spawn) -> None:
    proc, url, _ = start_raw(spawn, 2)
    wait_http(url + "/", proc)
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2)
    workers = {str(pid) for pid in child_pids(proc.pid)}
    # The kernel hashes each new connection to one of the two listening sockets.
    assert pids_answering(url + "/", 2) == workers
    for pid in map(int, workers):  # own process group: a terminal's Ctrl-C reaches only the parent
        assert os.getpgid(pid) == pid


def test_killed_worker_is_restarted(spawn: Spawn) -> None:
    proc, url, _ = start_raw(spawn, 2)
    wait_http(url + "/", proc)
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2)
    before = set(child_pids(proc.pid))
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: len(set(child_pids(proc.pid)) - before) == 1), proc.output
    after = set(child_pids(proc.pid))
    assert victim not in after and len(after) == 2
    assert pids_answering(url + "/", 2) == {str(p) for p in after}
    assert "died (signal 9)" in proc.output


def test_sigterm_finishes_in_flight_request_then_exits(spawn: Spawn) -> None:
    proc, url, port = start_raw(spawn, 2)
    wait_http(url + "/", proc)
    result: dict[str, object] = {}

    def slow() -> None:
        try:
            result["response"] = httpx.get(url + "/slow", timeout=10)
        except Exception as exc:  # reported by the assertion below
            result["error"] = exc

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.4)  # the request is inside its handler's sleep now
    started = time.monotonic()
    proc.signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    thread.join(10)
    response = result.get("response")
    assert isinstance(response, httpx.Response), result
    assert response.status_code == 200
    assert time.monotonic() - started > 0.5  # it waited for the request
    assert port_closed(port)
    assert "stopping 2 workers gracefully" in proc.output


def test_boot_failure_stops_the_supervisor(spawn: Spawn) -> None:
    proc, _, port = start_raw(spawn, 2, "boot-fail")
    assert proc.wait(15) == 3
    assert "failed to boot" in proc.output
    assert "RuntimeError: cannot boot" in proc.output
    assert port_closed(port)


def test_crash_loop_is_slowed_by_backoff(spawn: Spawn) -> None:
    # Workers report ready, then exit at once; back-off 0.2s doubling up to 1s.
    proc, _, _ = start_raw(spawn, 1, "crash-after-ready")
    time.sleep(3.0)
    starts = proc.output.count("started (pid")
    # Without back-off this would be dozens of forks; with it: 0.2+0.4+0.8+1+... ≈ 5 in 3s.
    assert 3 <= starts <= 7, proc.output
    delays = [float(d) for d in re.findall(r"restarting in ([\d.]+)s", proc.output)]
    assert delays[:3] == [0.2, 0.4, 0.8] and max(delays) == 1.0
    proc.signal(signal.SIGTERM)
    assert proc.wait(10) == 0


def test_supervisor_killed_outright_takes_its_workers_down(spawn: Spawn) -> None:
    proc, url, port = start_raw(spawn, 2)
    wait_http(url + "/", proc)
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2)
    workers = child_pids(proc.pid)
    proc.signal(signal.SIGKILL)
    proc.wait(5)

    def gone() -> bool:
        return all(not os.path.exists(f"/proc/{pid}") for pid in workers)

    # The orphans are reparented (not our children any more), so check /proc, not waitpid.
    assert wait_for(gone, 10)
    assert port_closed(port)


def test_sighup_replaces_every_worker_without_downtime(spawn: Spawn) -> None:
    proc, url, _ = start_raw(spawn, 2)
    wait_http(url + "/", proc)
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2)
    before = set(child_pids(proc.pid))
    failures: list[Exception] = []
    answers = 0
    done = threading.Event()

    def hammer() -> None:
        nonlocal answers
        with httpx.Client(timeout=5) as client:
            while not done.is_set():
                try:
                    assert client.get(url + "/").status_code == 200
                    answers += 1
                except httpx.TransportError as exc:
                    failures.append(exc)

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        time.sleep(0.3)
        proc.signal(signal.SIGHUP)
        replaced = wait_for(lambda: proc.output.count("replaced worker (pid") == 2, 15)
    finally:
        done.set()
        thread.join(10)
    assert replaced, proc.output
    after = set(child_pids(proc.pid))
    assert len(after) == 2 and not after & before
    assert pids_answering(url + "/", 2) == {str(p) for p in after}
    # A client opening a new connection per request (the raw server closes each one) was served
    # every time while each worker was swapped out in turn.
    assert answers >= 3 and not failures, (answers, failures)
