"""Small shared values and parsers used across the framework modules."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, MutableMapping
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple

__all__ = [
    "DictStorage",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "parse_http_date",
    "parse_mimetype_params",
    "sentinel",
]


class HttpVersion(NamedTuple):
    major: int
    minor: int


HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)

VERSIONS = {"1.1": HttpVersion11, "1.0": HttpVersion10}

sentinel: Any = object()


def parse_http_date(value: str | None) -> datetime.datetime | None:
    """An HTTP-date (RFC 9110 §5.6.7) as an aware UTC datetime, or None when absent or invalid."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


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


class DictStorage(MutableMapping[str, Any]):
    """Per-object storage (``request['key']``, ``response['key']``), made on first use.

    Objects with storage compare and hash by identity and are always true, even when empty.
    Subclasses set ``self._state = None`` (or a shared dict) in ``__init__``.
    """

    _state: dict[str, Any] | None

    def _storage(self) -> dict[str, Any]:
        if self._state is None:
            self._state = {}
        return self._state

    def __getitem__(self, key: str) -> Any:
        return self._storage()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._storage()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._storage()[key]

    def __len__(self) -> int:
        return len(self._state) if self._state else 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._state or ())

    def __bool__(self) -> bool:
        return True

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other
