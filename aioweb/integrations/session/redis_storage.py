"""Server-side sessions in Redis: the cookie holds only a random key.

The session's data never leaves the server, so it can be large and can be revoked by deleting
the key. Each record is written with Redis's own expiry (``EX``) set to the session's
``max_age``, so abandoned sessions clean themselves up.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from aioweb.integrations.session._session import Session
from aioweb.integrations.session.storage import DEFAULT_COOKIE_NAME, AbstractStorage

__all__ = ("RedisStorage",)


class RedisStorage(AbstractStorage):
    """Session storage backed by ``redis.asyncio.Redis`` (redis-py >= 4.2).

    ``key_factory`` makes new session keys (random UUID4 hex by default: 122 random bits, so
    keys cannot be guessed). The Redis key is ``f"{cookie_name}_{key}"``.
    """

    def __init__(
        self,
        redis_pool: Any,
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
        try:
            from redis import asyncio as aioredis  # noqa: PLC0415 (optional dependency)
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RuntimeError("RedisStorage needs redis-py: pip install 'aioweb[redis]'") from exc
        if not isinstance(redis_pool, aioredis.Redis):
            raise TypeError(f"expected redis.asyncio.Redis, got {type(redis_pool).__name__}")
        self._redis = redis_pool
        self._key_factory = key_factory

    def _redis_key(self, key: str) -> str:
        return f"{self.cookie_name}_{key}"

    async def load_session(self, request: Any) -> Session:
        key = self.load_cookie(request)
        # A key is ours only if it looks like one we could have made: this refuses absurd
        # cookies before they reach Redis.
        if not key or len(key) > 256:
            return Session(None, data=None, new=True, max_age=self.max_age)
        raw = await self._redis.get(self._redis_key(key))
        if raw is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                return Session(None, data=None, new=True, max_age=self.max_age)
        # An unreadable record keeps its key (the next save overwrites it), as in aiohttp_session
        return Session(key, data=self._decode(raw), new=False, max_age=self.max_age)

    async def save_session(self, request: Any, response: Any, session: Session) -> None:
        key = session.identity
        if session.empty:
            if key is not None:
                await self._redis.delete(self._redis_key(str(key)))
            self.save_cookie(response, "", max_age=session.max_age)
            return
        if key is None:
            key = self._key_factory()
            session.set_new_identity(key)
        key = str(key)
        self.save_cookie(response, key, max_age=session.max_age)
        data = self._encoder(self._get_session_data(session))
        await self._redis.set(self._redis_key(key), data, ex=session.max_age)
