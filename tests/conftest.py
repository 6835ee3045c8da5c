"""Session-wide fixtures for real backing services (see ``services.py``).

Only service fixtures live here; fixtures for one area belong in that area's ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import services


@pytest.fixture(scope="session")
def mongodb_uri() -> Iterator[str]:
    """A MongoDB URI: ``MONGODB_URI`` when set, else a FerretDB started for this session."""
    with services.mongodb() as uri:
        yield uri


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis URL: ``REDIS_URL`` when set, else a redis-server started for this session."""
    with services.redis() as url:
        yield url
