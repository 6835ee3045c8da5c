"""Server-side sessions in memcached (``pip install aiomcache``): the cookie holds a random key.

Like the Redis storage, the data stays on the server and each record carries memcached's own
expiry, the session's ``max_age``. Memcached reads an expiry over 30 days as an absolute unix
time, not a number of seconds, so a longer ``max_age`` is sent as now + max_age.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from aioweb.integrations.session._session import Session
from aioweb.integrations.session.storage import DEFAULT_COOKIE_NAME, AbstractStorage

__all__ = ("MemcachedStorage",)

# memcached's protocol: relative expiry times stop here; larger numbers are unix timestamps
_MAX_RELATIVE_EXPIRY = 30 * 24 * 60 * 60
# memcached refuses keys over 250 bytes (and keys with spaces or control characters)
_MAX_KEY_BYTES = 250


def memcached_expiry(max_age: int | None, now: float | None = None) -> int:
    """The ``exptime`` for a record that lives ``max_age`` seconds (0: no expiry)."""
    if max_age is None:
        return 0
    if max_age > _MAX_RELATIVE_EXPIRY:
        return int(time.time() if now is None else now) + max_age
    return max_age


class MemcachedStorage(AbstractStorage):
    """Session storage backed by an ``aiomcache.Client``.

    ``key_factory`` makes new session keys (UUID4 hex by default: 122 random bits). The
    memcached key is ``f"{cookie_name}_{key}"``, as aiohttp_session's ``MemcachedStorage``
    names it, so the two can share a memcached.
    """

    def __init__(
        self,
        memcached_conn: Any,
        *,
        cookie_name: str = DEFAULT_COOKIE_NAME,
        domain: str | None = None,
        max_age: int | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool = True,
        samesite: str | None = None,
        key_factory: Callable[[], str] = lambda: uuid.uuid4().hex,
        encoder: Callable[[object], str] = json.dumps,
        decoder: Callable[[str], Any] = json.loads,
    ) -> None:
        super().__init__(
            cookie_name=cookie_name,
            domain=domain,
            max_age=max_age,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            encoder=encoder,
            decoder=decoder,
        )
        self._key_factory = key_factory
        self.conn = memcached_conn

    def _stored_key(self, key: str) -> bytes | None:
        """The memcached key for a cookie value, or None for one memcached would refuse."""
        stored = f"{self.cookie_name}_{key}".encode()
        if len(stored) > _MAX_KEY_BYTES or any(b <= 32 or b == 127 for b in stored):
            return None
        return stored

    async def load_session(self, request: Any) -> Session:
        cookie = self.load_cookie(request)
        stored = self._stored_key(cookie) if cookie else None
        if cookie is None or stored is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        raw = await self.conn.get(stored)
        if raw is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        try:
            data = self._decode(raw.decode("utf-8"))
        except UnicodeDecodeError:
            data = None
        # An unreadable record keeps its key (the next save overwrites it), as in aiohttp_session
        return Session(cookie, data=data, new=False, max_age=self.max_age)

    async def save_session(self, request: Any, response: Any, session: Session) -> None:
        key = session.identity
        if key is None:
            key = self._key_factory()
            self.save_cookie(response, key, max_age=session.max_age)
        elif session.empty:
            self.save_cookie(response, "", max_age=session.max_age)
        else:
            self.save_cookie(response, str(key), max_age=session.max_age)
        stored = self._stored_key(str(key))
        if stored is None:
            raise ValueError(f"session key {key!r} cannot be a memcached key")
        data = self._encoder(self._get_session_data(session)).encode("utf-8")
        await self.conn.set(stored, data, exptime=memcached_expiry(session.max_age))
