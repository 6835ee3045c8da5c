"""Fixtures for the broadcast tests: a redis-server of their own (restartable)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bcast_redis import RedisProcess


@pytest.fixture
def redis_proc(tmp_path: Path) -> Iterator[RedisProcess]:
    """A fresh redis-server for one test (AOF on, so a restart keeps the stream)."""
    proc = RedisProcess(tmp_path)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()
