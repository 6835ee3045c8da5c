"""Fixtures for deployment tests: real processes on real sockets, always cleaned up."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from deploy_helpers import APPS, ROOT, Proc

Spawn = Callable[..., Proc]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    procs: list[Proc] = []

    def start(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Proc:
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        full_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), str(APPS), full_env.get("PYTHONPATH", "")) if p
        )
        proc = Proc(list(args), tmp_path / f"proc{len(procs)}.log", cwd or tmp_path, full_env)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.stop()
    for proc in procs:
        print(f"--- output of {' '.join(proc.args)} ---\n{proc.output}")
