"""The set-up scripts and the service fixtures do what they promise.

They are what a fresh machine and CI run first, so a regression here breaks everything else:
each script parses, the idempotent ones are no-ops the second time, FerretDB starts, answers
and stops without leaving anything behind, and the Redis fixture gives a working server.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "scripts").glob("*.sh"))

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("script", [*SCRIPTS, ROOT / ".ci" / "run"], ids=lambda p: p.name)
def test_scripts_parse_and_are_strict(script: Path) -> None:
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in text


def test_ci_runs_exactly_the_test_script() -> None:
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert lines[-1] == "exec bash scripts/test.sh"


def test_system_deps_are_a_no_op_when_installed() -> None:
    started = time.monotonic()
    subprocess.run(["bash", str(ROOT / "scripts" / "install-system-deps.sh")], check=True,
                   timeout=60)  # fmt: skip
    assert time.monotonic() - started < 10  # no apt-get update, no install


def test_ferretdb_script_run_and_stop(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "ferretdb.sh"
    # installed already (the session's fixtures need it): install is a quick no-op
    started = time.monotonic()
    subprocess.run(["bash", str(script), "install"], check=True, timeout=600)
    assert time.monotonic() - started < 10
    out = subprocess.run(
        ["bash", str(script), "run"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    state = dict(line.split("=", 1) for line in out.strip().splitlines())
    assert set(state) == {"FERRETDB_DIR", "FERRETDB_PID", "MONGODB_URI"}
    directory, pid = Path(state["FERRETDB_DIR"]), int(state["FERRETDB_PID"])
    try:
        assert state["MONGODB_URI"].startswith("mongodb://127.0.0.1:")
        from pymongo import MongoClient

        client: MongoClient[dict[str, object]] = MongoClient(
            state["MONGODB_URI"], serverSelectionTimeoutMS=5000
        )
        try:
            assert client.admin.command("ping")["ok"] == 1.0
        finally:
            client.close()
        assert directory.is_dir() and Path(f"/proc/{pid}").exists()
    finally:
        subprocess.run(["bash", str(script), "stop", str(directory)], check=True, timeout=60)
    assert not directory.exists()
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_redis_fixture_gives_a_working_server(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.set("aioweb-test", b"value")
        assert client.get("aioweb-test") == b"value"
        # no persistence configured: a throwaway server
        assert client.config_get("save")["save"] == ""
        assert client.config_get("appendonly")["appendonly"] == "no"
    finally:
        client.close()


def test_all_extra_has_every_runtime_extra() -> None:
    """`pip install 'aioweb[all]'` gives every optional feature; a new runtime extra that is
    not added to `all` fails here.  (pip warns about an extra that does not exist, which is
    what `aioweb[all]` did before it was added.)"""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    tooling = {"all", "dev", "demo", "bench", "docs", "test", "asgi"}  # asgi: test servers
    (spec,) = extras["all"]
    name, _, listed = spec.partition("[")
    assert name == "aioweb"
    assert set(listed.rstrip("]").split(",")) == set(extras) - tooling
    # the demo's extra is a subset of dev, which bootstrap.sh relies on (dev covers demo)
    (demo_spec, *demo_rest) = extras["demo"]
    dev = {re.split(r"[<>=\[ ]", r)[0].lower() for r in extras["dev"]}
    for extra in demo_spec.partition("[")[2].rstrip("]").split(","):
        for requirement in extras[extra]:
            assert re.split(r"[<>=\[ ]", requirement)[0].lower() in dev, (extra, requirement)
    for requirement in demo_rest:
        assert re.split(r"[<>=\[ ]", requirement)[0].lower() in dev, requirement


def test_ferretdb_without_go_says_how_to_fix(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "ferretdb.sh"), "install"],
        env={**os.environ, "GO": "/nonexistent/go", "FERRETDB_BIN": str(tmp_path / "ferretdb")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "install golang (apt-get install golang" in result.stderr
    assert "or set MONGODB_URI" in result.stderr


def _copy_checkout(dest: Path) -> None:
    """The committed and working-tree files, as a fresh clone would have them (no .venv, no
    builds, no caches)."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            (dest / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name.decode())


@pytest.mark.timeout(300)
def test_demo_starts_in_a_fresh_checkout_without_go_or_compiler(tmp_path: Path) -> None:
    """The README's first command on a machine with neither Go nor a C compiler: every step
    says what it does, the missing ones say how to fix them, and the demo serves anyway (pure
    Python, GridFS page explaining).  Downloads come from this checkout's caches when warm."""
    checkout = tmp_path / "aioweb"
    _copy_checkout(checkout)
    port = free_port()
    env = {
        **os.environ,
        "CC": "false",  # a compiler that fails everything
        "GO": "/nonexistent/go",
        "FERRETDB_BIN": str(tmp_path / "no-ferretdb"),
        "PORT": str(port),
        "UV_CACHE_DIR": str(ROOT / ".cache" / "uv"),
        "PIP_CACHE_DIR": str(ROOT / ".cache" / "pip"),
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",  # its uv, when there is one
    }
    env.pop("MONGODB_URI", None)
    env.pop("VIRTUAL_ENV", None)
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            ["bash", str(checkout / "scripts" / "demo.sh")],
            cwd=checkout,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        index = _get_when_up(port, "/", demo, log, deadline=time.monotonic() + 240)
        assert index.status == 200
        gridfs = _get_when_up(port, "/gridfs/", demo, log, deadline=time.monotonic() + 10)
        assert "MONGODB_URI" in gridfs.read().decode()
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(timeout=30)
    text = log.read_text()
    for step in ("==> creating the virtualenv", "==> installing aioweb[demo]", "done in"):
        assert step in text, text
    assert "no working C compiler (CC=false)" in text
    assert "runs as pure Python; install gcc" in text
    assert "install golang (apt-get install golang" in text
    assert "the demo starts anyway" in text
    # the venv is created without pip (ensurepip is slow); the install puts pip back, which
    # the README and docs/TEAM.md tell people to use
    assert (checkout / ".venv" / "bin" / "pip").exists(), text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get_when_up(
    port: int, path: str, proc: subprocess.Popen[bytes], log: Path, deadline: float
) -> http.client.HTTPResponse:
    while True:
        assert proc.poll() is None, log.read_text()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path)
            return connection.getresponse()
        except OSError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
