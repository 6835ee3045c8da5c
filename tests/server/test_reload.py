"""``--reload``: the server process is restarted when a watched source file changes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from deploy_fixtures import Spawn
from deploy_helpers import APPS, PYTHON, free_port, port_closed, wait_for, wait_http

from aioweb.server.reload import changed_files, scan, source_roots

pytestmark = pytest.mark.timeout(60)


def edit(path: Path, text: str) -> None:
    """Rewrite a file and make sure its mtime moves even on coarse-grained file systems."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def test_scan_sees_edits_additions_and_removals_but_skips_noise(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("A = 1\n")
    (tmp_path / "pkg" / "notes.txt").write_text("not source")
    for noise in ("__pycache__", ".git", "node_modules", "venv"):
        (tmp_path / noise).mkdir()
        (tmp_path / noise / "x.py").write_text("")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    first = scan([tmp_path])
    assert list(first) == [str(tmp_path / "pkg" / "a.py")]
    edit(tmp_path / "pkg" / "a.py", "A = 22\n")
    (tmp_path / "pkg" / "b.py").write_text("")
    second = scan([tmp_path])
    assert changed_files(first, second) == [
        str(tmp_path / "pkg" / "a.py"),
        str(tmp_path / "pkg" / "b.py"),
    ]
    (tmp_path / "pkg" / "b.py").unlink()
    assert changed_files(second, scan([tmp_path])) == [str(tmp_path / "pkg" / "b.py")]
    assert len(scan([tmp_path], ("*",), max_files=2)) == 2
    assert changed_files(first, first) == []


def test_source_roots_finds_the_package_without_importing_it() -> None:
    roots = source_roots("aioweb.server.reload")
    assert roots == [Path(__file__).resolve().parents[2] / "aioweb"]
    assert source_roots("no_such_module_here") == []


def test_reloader_restarts_the_server_on_an_edit(spawn: Spawn, tmp_path: Path) -> None:
    module = tmp_path / "greeting.py"
    module.write_text('TEXT = "one"\n')
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = spawn(PYTHON, str(APPS / "raw_reloaded.py"), str(port), cwd=tmp_path)
    first = wait_http(url, proc).text
    assert first.startswith("one ")

    edit(module, 'TEXT = "two"\n')

    def answers_two() -> bool:
        try:
            return wait_http(url, proc, timeout=2).text.startswith("two ")
        except AssertionError:
            return False

    assert wait_for(answers_two, 15), proc.output
    assert "greeting.py changed: restarting" in proc.output

    # A broken edit: the child dies, the reloader waits; fixing the file brings the server back.
    edit(module, "TEXT = (\n")
    assert wait_for(lambda: "waiting for a change" in proc.output, 15), proc.output
    assert proc.popen.poll() is None
    edit(module, 'TEXT = "three"\n')
    assert wait_for(lambda: wait_http(url, proc).text.startswith("three "), 15)

    proc.signal(signal.SIGINT)
    assert proc.wait(10) == 0
    assert wait_for(lambda: port_closed(port), 5)


def test_reloader_killed_outright_takes_the_server_down(spawn: Spawn, tmp_path: Path) -> None:
    (tmp_path / "greeting.py").write_text('TEXT = "hi"\n')
    port = free_port()
    proc = spawn(PYTHON, str(APPS / "raw_reloaded.py"), str(port), cwd=tmp_path)
    server_pid = int(wait_http(f"http://127.0.0.1:{port}/", proc).text.split()[1])
    proc.signal(signal.SIGKILL)
    proc.wait(5)
    time.sleep(0.1)
    assert wait_for(lambda: not os.path.exists(f"/proc/{server_pid}"), 10)
    assert port_closed(port)


CLI_APP = """\
from aioweb import web

from mysite.views import TEXT


def create_app():
    app = web.Application()

    async def index(request):
        import os

        return web.Response(text=f"{TEXT} {os.getpid()}")

    app.router.add_get("/", index)
    return app
"""


def test_cli_reload_picks_up_an_edited_module(spawn: Spawn, tmp_path: Path) -> None:
    package = tmp_path / "mysite"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text(CLI_APP)
    views = package / "views.py"
    views.write_text('TEXT = "before"\n')
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = spawn(
        PYTHON,
        "-m",
        "aioweb",
        "--reload",
        "mysite.app:create_app",
        "--port",
        str(port),
        cwd=tmp_path,
    )
    text, pid = wait_http(url, proc).text.split()
    assert text == "before"

    edit(views, 'TEXT = "after"\n')  # a sibling module of the entry's, inside the package

    def answers_after() -> bool:
        try:
            return wait_http(url, proc, timeout=2).text.startswith("after ")
        except AssertionError:
            return False

    assert wait_for(answers_after, 20), proc.output
    assert wait_http(url, proc).text.split()[1] != pid  # a fresh process imported the edit
    proc.signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    assert wait_for(lambda: port_closed(port), 5)
