"""Ctrl-C twice on a plain ``run_app``: the second press means "stop now", not "crash".

A real process serves a request that would take 30 s (``shutdown_timeout`` is the default
60 s) and gets SIGINT twice, 0.2 s apart.  The first starts the graceful shutdown; the second
must cancel the request in flight at once, and the shutdown must still run to its end:
``on_shutdown`` and ``on_cleanup`` run, the process exits 0 within seconds, and nothing like
"Task was destroyed but it is pending!" or a traceback reaches stderr.  With
``handle_signals=False`` Ctrl-C arrives as ``KeyboardInterrupt``; the second one must not
escape the shutdown either (it then ends by ``shutdown_timeout``, 1 s here).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(60)

_APP = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from aioweb import web

    port, marks, handle_signals = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1"

    async def slow(request):
        (marks / "started").write_text("")
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            (marks / "cancelled").write_text("")
            raise
        return web.Response(text="too late")

    async def on_shutdown(app):
        (marks / "shutdown").write_text("")

    async def on_cleanup(app):
        (marks / "cleanup").write_text("")

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    options = {} if handle_signals else {"handle_signals": False, "shutdown_timeout": 1}
    web.run_app(app, host="127.0.0.1", port=port, **options)
    """
)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _slow_request(port: int, answers: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        try:
            answers.append(sock.recv(65536))
        except OSError as exc:  # a reset is as good an ending as any here
            answers.append(repr(exc).encode())


@pytest.mark.parametrize("handle_signals", [True, False], ids=["handlers", "no-handlers"])
@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_second_ctrl_c_cancels_in_flight_requests_and_still_cleans_up(
    tmp_path: Path, loop: str, handle_signals: bool
) -> None:
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    script = tmp_path / "app.py"
    script.write_text(_APP)
    marks = tmp_path / "marks"
    marks.mkdir()
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AIOWEB_NO_UVLOOP", None)
    if loop == "asyncio":
        env["AIOWEB_NO_UVLOOP"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-u", str(script), str(port), str(marks), "1" if handle_signals else "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as at a terminal: a test run started in the background by a non-interactive
        # shell (CI scripts do) inherits SIGINT ignored, and an ignored SIGINT never becomes
        # KeyboardInterrupt in the handle_signals=False case
        preexec_fn=_default_sigint,
    )
    answers: list[bytes] = []
    client = threading.Thread(target=_slow_request, args=(port, answers), daemon=True)
    try:
        assert proc.stdout is not None
        assert "Running on" in proc.stdout.readline()
        client.start()
        for _ in range(100):
            if (marks / "started").exists():
                break
            time.sleep(0.05)
        assert (marks / "started").exists()
        stopping = time.monotonic()
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
        took = time.monotonic() - stopping
        client.join(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Task was destroyed" not in err and "Traceback" not in err, err
    assert proc.returncode == 0, err
    assert took < 5, took
    done = sorted(p.name for p in marks.iterdir())
    assert done == ["cancelled", "cleanup", "shutdown", "started"], (done, err)
    assert answers and b"too late" not in answers[0], answers
