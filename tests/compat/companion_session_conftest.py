"""aiohttp-session's fixtures for its Redis and memcached storage tests, on local servers.

Copied over the suite's own ``tests/conftest.py`` (which starts Docker containers) in both runs,
the original and aioweb's, so that both use the same servers: the ``redis-server`` and
``memcached`` that ``test_companion_suites.py`` starts, passed in ``COMPANION_REDIS_URL`` and
``COMPANION_MEMCACHED`` (``host:port``).  The fixture names and what they yield are the suite's.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import aiomcache
import pytest
from redis import asyncio as aioredis


@pytest.fixture(scope="session")
def session_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def redis_url() -> str:
    return os.environ["COMPANION_REDIS_URL"]


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    pool = aioredis.ConnectionPool.from_url(redis_url)
    client = aioredis.Redis(connection_pool=pool)
    yield client
    await client.aclose()
    await pool.disconnect()


@pytest.fixture
def memcached_params() -> dict[str, object]:
    host, port = os.environ["COMPANION_MEMCACHED"].rsplit(":", 1)
    return {"host": host, "port": int(port)}


@pytest.fixture
async def memcached(memcached_params: dict[str, object]) -> AsyncIterator[aiomcache.Client]:
    client = aiomcache.Client(**memcached_params)  # type: ignore[arg-type]
    yield client
    await client.close()
