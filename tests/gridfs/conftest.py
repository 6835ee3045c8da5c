"""Fixtures for the GridFS tests: a fresh database per test on the session's MongoDB server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from pymongo import MongoClient


@pytest.fixture
def database_name(mongodb_uri: str) -> Iterator[str]:
    """A unique database name, dropped after the test (FerretDB and MongoDB alike)."""
    name = f"aioweb_test_{uuid.uuid4().hex[:12]}"
    yield name
    client: MongoClient[dict[str, object]] = MongoClient(mongodb_uri)
    try:
        client.drop_database(name)
    finally:
        client.close()
