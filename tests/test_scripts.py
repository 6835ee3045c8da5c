"""The set-up scripts and the service fixtures do what they promise.

They are what a fresh machine and CI run first, so a regression here breaks everything else:
each script parses, the idempotent ones are no-ops the second time, FerretDB starts, answers
and stops without leaving anything behind, and the Redis fixture gives a working server.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
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
