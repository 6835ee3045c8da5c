"""``aioweb.session.redis_storage``: the public path of :mod:`aioweb.integrations.session.redis_storage` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.integrations.session.redis_storage import (
    RedisStorage,
)

__all__ = [
    "RedisStorage",
]
