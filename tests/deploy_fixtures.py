"""Fixtures for tests that run real processes on real sockets, always cleaned up.

Shared by tests/server (workers, supervisor, reload, SIGTERM) and tests/functional (gunicorn,
nginx, the demo deployed): each folder's ``conftest.py`` imports the fixtures from here, and the
tests import the ``Spawn``/``Spawner`` types from here (a module named ``conftest`` is ambiguous
once several folders have one).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from deploy_helpers import APPS, ROOT, Proc

Spawn = Callable[..., Proc]


class Spawner:
    """Starts processes (output to files under ``directory``) and stops them all at the end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.procs: list[Proc] = []

    def __call__(
        self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> Proc:
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        full_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), str(APPS), full_env.get("PYTHONPATH", "")) if p
        )
        log = self.directory / f"proc{len(self.procs)}.log"
        proc = Proc(list(args), log, cwd or self.directory, full_env)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.procs:
            proc.stop()
        for proc in self.procs:
            print(f"--- output of {' '.join(proc.args)} ---\n{proc.output}")


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    spawner = Spawner(tmp_path)
    yield spawner
    spawner.close()


@pytest.fixture(scope="module")
def module_spawn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Spawner]:
    spawner = Spawner(tmp_path_factory.mktemp("deploy"))
    yield spawner
    spawner.close()
