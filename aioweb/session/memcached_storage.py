"""``aioweb.session.memcached_storage``: the public path of :mod:`aioweb.integrations.session.memcached_storage`."""

from aioweb.integrations.session.memcached_storage import (
    MemcachedStorage,
)

__all__ = [
    "MemcachedStorage",
]
