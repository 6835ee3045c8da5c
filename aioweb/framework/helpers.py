"""Small shared values and parsers used across the framework modules."""

from __future__ import annotations

import datetime
import functools
import sys
import warnings
from collections.abc import Hashable, Iterator, MutableMapping
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from aioweb.http.dates import parse_http_datetime

__all__ = [
    "BaseKey",
    "DictStorage",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "NotAppKeyWarning",
    "RequestKey",
    "ResponseKey",
    "parse_http_date",
    "parse_mimetype_params",
    "sentinel",
]

T = TypeVar("T")


class HttpVersion(NamedTuple):
    major: int
    minor: int


HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)

VERSIONS = {"1.1": HttpVersion11, "1.0": HttpVersion10}

sentinel: Any = object()


def parse_http_date(value: str | None) -> datetime.datetime | None:
    """An HTTP-date as an aware UTC datetime, or None when absent or invalid.

    aiohttp's helper name, kept for callers; the rule itself is the wire layer's one strict
    parser (``aioweb.http.dates``), so the request properties and the file server agree.
    """
    return parse_http_datetime(value)


def parse_mimetype_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``text/html; charset=UTF-8`` into ``("text/html", {"charset": "UTF-8"})``."""
    mimetype, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for item in rest.split(";"):
        key, eq, val = item.partition("=")
        key = key.strip().lower()
        if key and eq:
            val = val.strip()
            if len(val) >= 2 and val[0] == val[-1] == '"':
                val = val[1:-1]
            params[key] = val
    return mimetype.strip().lower(), params


class NotAppKeyWarning(UserWarning):
    """A plain key (usually a ``str``) was stored where a typed key is recommended.

    Typed keys (``AppKey``, ``RequestKey``, ``ResponseKey``) cannot collide between two
    libraries that both pick the name ``"db"``, and let type checkers know what the stored
    value is.  As in aiohttp, the warning is ignored unless warnings are switched on
    (``python -W default``, ``-X dev``, a test runner's filters): see ``aioweb.namespace``.
    """


def _defining_module() -> str:
    """The name of the module whose top-level code is running (where a key is defined)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>":
            return str(frame.f_globals.get("__name__", ""))
        frame = frame.f_back  # type: ignore[assignment]
    return ""


@functools.total_ordering
class BaseKey(Generic[T]):
    """A typed storage key: ``db_key = web.RequestKey("db", Database)``.

    Keys compare and hash by identity, so two keys with the same name never collide.  The
    type is only documentation for type checkers (``request[db_key]`` is a ``Database``);
    it is never checked at runtime.  ``web.RequestKey[list[int]]("ids")`` works too, for
    types that are not plain classes. The repr names the module the key was made in
    (``<AppKey(myapp.db, type=Database)>``, as aiohttp's), so two libraries' keys called
    ``db`` are told apart in a listing.
    """

    __slots__ = ("__orig_class__", "_module", "_name", "_t")

    def __init__(self, name: str, t: type[T] | None = None) -> None:
        self._name = name
        self._t = t
        self._module = _defining_module()

    @property
    def _qualified(self) -> str:
        return f"{self._module}.{self._name}" if self._module else self._name

    @property
    def name(self) -> str:
        return self._name

    def __lt__(self, other: object) -> bool:
        # Keys sort among themselves by qualified name and before any other kind of key (the
        # other comparisons follow from total_ordering), so that a storage mixing str and
        # typed keys can be sorted, as aiohttp's can.
        if isinstance(other, BaseKey):
            return self._qualified < other._qualified
        return True

    def __repr__(self) -> str:
        t: Any = self._t
        if t is None:
            args = getattr(getattr(self, "__orig_class__", None), "__args__", None)
            t = args[0] if args else None
        if t is None:
            type_name = "<<Unknown>>"
        elif isinstance(t, type):
            qualname = t.__qualname__
            type_name = qualname if t.__module__ == "builtins" else f"{t.__module__}.{qualname}"
        else:
            type_name = repr(t)
        return f"<{type(self).__name__}({self._qualified}, type={type_name})>"


class RequestKey(BaseKey[T]):
    """A typed key for request storage: ``request[user_key] = user``."""

    __slots__ = ()


class ResponseKey(BaseKey[T]):
    """A typed key for response storage: ``response[timing_key] = 0.25``."""

    __slots__ = ()


class DictStorage(MutableMapping[Any, Any]):
    """Per-object storage (``request[key]``, ``response[key]``), made on first use.

    Objects with storage compare and hash by identity and are always true, even when empty.
    Subclasses start ``_state`` as ``None`` (a class attribute will do) or a shared dict, and
    name their typed key class in ``_key_type``: storing under any other kind of key warns once per key
    (:class:`NotAppKeyWarning`), as aiohttp does, because a new request or response is made
    for every HTTP exchange and a warning each time would drown the log.
    """

    _state: dict[Any, Any] | None
    _key_type: ClassVar[type[BaseKey[Any]]] = BaseKey
    #: plain keys already warned about, per typed key class (shared by all instances)
    _warned: ClassVar[dict[type[BaseKey[Any]], set[Hashable]]] = {}

    def _storage(self) -> dict[Any, Any]:
        if self._state is None:
            self._state = {}
        return self._state

    def __getitem__(self, key: Any) -> Any:
        return self._storage()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        if not isinstance(key, self._key_type):
            self._warn_plain_key(key)
        self._storage()[key] = value

    def _warn_plain_key(self, key: Hashable) -> None:
        key_type = self._key_type
        warned = DictStorage._warned.setdefault(key_type, set())
        if key in warned:
            return
        warned.add(key)
        name = key_type.__name__
        warnings.warn(
            f"Storage key {key!r}: a web.{name} instance is recommended "
            f"(a plain key may collide with another library's)",
            NotAppKeyWarning,
            stacklevel=3,
        )

    def setdefault(self, key: Any, default: Any = None) -> Any:
        # (MutableMapping's would go through __setitem__: its warning would name the ABC's
        # frame instead of the caller's line)
        storage = self._storage()
        if key in storage:
            return storage[key]
        if not isinstance(key, self._key_type):
            self._warn_plain_key(key)
        storage[key] = default
        return default

    def __delitem__(self, key: Any) -> None:
        del self._storage()[key]

    def __len__(self) -> int:
        return len(self._state) if self._state else 0

    def __iter__(self) -> Iterator[Any]:
        return iter(self._state or ())

    def __bool__(self) -> bool:
        return True

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other
