"""The per-user session object: a dict that knows whether it must be saved.

Behaviour follows aiohttp_session's ``Session``. What a storage persists is
``{"created": <unix seconds>, "session": {...}}``; an empty session is persisted as nothing,
which tells the storage to delete the cookie/record.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, TypedDict

__all__ = ("Session", "SessionData")


class SessionData(TypedDict, total=False):
    """What a storage persists for one session (aiohttp_session's name for it): the unix time
    it was created and the user's data. A storage hands it back to :class:`Session`."""

    created: int
    session: dict[str, Any]


class Session(MutableMapping[str, Any]):
    """Session data plus the bookkeeping the middleware needs.

    ``new`` is true for a session that did not come from the client (first visit, tampered,
    expired or invalidated); ``changed`` is set by every mutation (or by calling
    :meth:`changed` after mutating a nested value in place), and only a changed session is
    written back. ``max_age`` (seconds) overrides the storage's cookie lifetime for this one
    session; data older than it is discarded on load.
    """

    __slots__ = ("_changed", "_created", "_identity", "_mapping", "_max_age", "_new")

    def __init__(
        self,
        identity: Any | None,
        *,
        data: SessionData | Mapping[str, Any] | None,
        new: bool,
        max_age: int | None = None,
    ) -> None:
        self._changed = False
        self._mapping: dict[str, Any] = {}
        self._max_age = max_age
        # As aiohttp_session: an empty dict means "nothing stored" (a new session, no key);
        # None means the storage had a record it could not read, which keeps its key.
        self._identity = identity if data != {} else None
        self._new = new if data != {} else True
        created = data.get("created") if data else None
        payload = data.get("session") if data else None
        now = int(time.time())
        if not isinstance(created, int | float) or isinstance(created, bool):
            created = None
        if created is not None and max_age is not None and now - created > max_age:
            # Expired: the stored data must not resurrect, whatever the transport kept.
            payload = None
            created = None
            self._new = True
            self._identity = None
        self._created = now if self._new or created is None else int(created)
        if isinstance(payload, Mapping):
            self._mapping.update(payload)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} [new:{self._new}, changed:{self._changed}, "
            f"created:{self._created}] {self._mapping!r}>"
        )

    @property
    def new(self) -> bool:
        return self._new

    @property
    def identity(self) -> Any | None:
        """The storage's key for this session (``None`` for cookie storages)."""
        return self._identity

    @property
    def created(self) -> int:
        """Unix time (seconds) the session was first created."""
        return self._created

    @property
    def empty(self) -> bool:
        return not self._mapping

    @property
    def max_age(self) -> int | None:
        return self._max_age

    @max_age.setter
    def max_age(self, value: int | None) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError("max_age must be an int number of seconds or None")
        self._max_age = value
        self._changed = True

    def changed(self) -> None:
        """Mark the session for saving (needed after mutating a nested object in place)."""
        self._changed = True

    def invalidate(self) -> None:
        """Forget all data; the middleware then deletes the cookie/record."""
        self._changed = True
        self._mapping = {}

    def set_new_identity(self, identity: Any) -> None:
        """Give a brand-new session the key a server-side storage created for it."""
        if not self._new:
            raise RuntimeError("can only change the identity of a new session")
        self._identity = identity

    def __len__(self) -> int:
        return len(self._mapping)

    def __iter__(self) -> Iterator[str]:
        return iter(self._mapping)

    def __contains__(self, key: object) -> bool:
        return key in self._mapping

    def __getitem__(self, key: str) -> Any:
        return self._mapping[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._mapping[key] = value
        self._changed = True
        self._created = int(time.time())

    def __delitem__(self, key: str) -> None:
        del self._mapping[key]
        self._changed = True
        self._created = int(time.time())
