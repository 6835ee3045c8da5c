"""Entity tags as requests and responses expose them (aiohttp's ``ETag(value, is_weak)``),
and the lenient list parser behind ``request.if_match`` / ``if_none_match``.

The wire layer's home for the type, so that responses (``response.etag``) and requests share it
without importing each other.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ETag", "parse_etags"]


class ETag(NamedTuple):
    """An entity tag (RFC 9110 §8.8.3): its opaque value and whether it is weak."""

    value: str
    is_weak: bool = False


def parse_etags(value: str | None) -> tuple[ETag, ...] | None:
    """``If-Match``/``If-None-Match`` lists; ``*`` is ``(ETag('*'),)``; junk is skipped."""
    if value is None:
        return None
    value = value.strip()
    if value == "*":
        return (ETag("*"),)
    tags: list[ETag] = []
    pos = 0
    n = len(value)
    while pos < n:
        while pos < n and value[pos] in " \t,":
            pos += 1
        if pos >= n:
            break
        weak = value.startswith("W/", pos)
        if weak:
            pos += 2
        if pos < n and value[pos] == '"':
            end = value.find('"', pos + 1)
            if end < 0:
                break
            tags.append(ETag(value[pos + 1 : end], weak))
            pos = end + 1
        else:  # not a valid entity-tag: skip to the next comma
            comma = value.find(",", pos)
            pos = n if comma < 0 else comma + 1
    return tuple(tags)
