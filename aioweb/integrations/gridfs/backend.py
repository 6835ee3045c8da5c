"""Which MongoDB driver a database object belongs to, and the few calls that differ.

PyMongo's async API (``AsyncMongoClient`` / ``AsyncDatabase``) is the primary driver; Motor's
``AsyncIOMotorDatabase`` is accepted too, recognised by duck typing so that Motor is imported
only by applications that already use it. Everything else in this package talks to plain
collections (``find``, ``insert_many``, ``delete_many``...), whose async methods the two drivers
share.
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["is_motor", "make_bucket", "maybe_await"]


async def maybe_await(value: Any) -> Any:
    """Await ``value`` if it is awaitable (Motor returns Futures where PyMongo is synchronous)."""
    if inspect.isawaitable(value):
        return await value
    return value


def is_motor(database: Any) -> bool:
    """True for Motor's asyncio database (its class lives in a ``motor.*`` module)."""
    return type(database).__module__.startswith("motor.") and hasattr(database, "delegate")


def _is_pymongo_async(database: Any) -> bool:
    try:
        from pymongo.asynchronous.database import AsyncDatabase  # noqa: PLC0415 (optional dependency)
    except ImportError:  # pragma: no cover - pymongo < 4.13
        return False
    return isinstance(database, AsyncDatabase)


def make_bucket(database: Any, bucket_name: str) -> Any:
    """A GridFS bucket on ``database``: PyMongo's ``AsyncGridFSBucket`` or Motor's.

    A synchronous ``pymongo.database.Database`` is refused: its calls would block the event
    loop for the whole duration of every database round trip.
    """
    if _is_pymongo_async(database):
        from gridfs.asynchronous import AsyncGridFSBucket  # noqa: PLC0415 (optional dependency)

        return AsyncGridFSBucket(database, bucket_name=bucket_name)
    if is_motor(database):
        from motor.motor_asyncio import AsyncIOMotorGridFSBucket  # noqa: PLC0415 (optional dependency)

        return AsyncIOMotorGridFSBucket(database, bucket_name)
    raise TypeError(
        "database must be a pymongo AsyncDatabase (AsyncMongoClient()[name]) or a Motor "
        f"AsyncIOMotorDatabase, not {type(database).__module__}.{type(database).__qualname__}"
    )
