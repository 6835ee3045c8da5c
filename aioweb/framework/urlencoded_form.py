"""``application/x-www-form-urlencoded`` bodies as ``request.post()`` returns them.

The number of fields is bounded (``client_max_fields``, aiohttp 3.14's limit, 1000 by
default): each costs a dict entry and a decode even when empty, so a small body of ``&&&...``
would otherwise buy a large amount of work. Past the limit the answer is a 413, as aiohttp's.
Empty segments (``a=1&&b=2``) count, since they cost the parser work too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from multidict import MultiDict, MultiDictProxy

from aioweb.framework.exceptions import HTTPBadRequest, HTTPRequestEntityTooLarge

__all__ = ["parse_urlencoded", "too_many_fields"]


def too_many_fields(max_fields: int) -> HTTPRequestEntityTooLarge:
    """The 413 for a form with more than ``max_fields`` fields (aiohttp's text)."""
    return HTTPRequestEntityTooLarge.for_fields(max_fields)


def parse_urlencoded(body: bytes, charset: str, max_fields: int) -> MultiDictProxy[Any]:
    """The fields of a url-encoded body; ``max_fields`` <= 0 means no limit."""
    try:
        text = body.decode(charset)
    except (UnicodeDecodeError, LookupError) as exc:
        raise HTTPBadRequest(text=f"Form body is not valid {charset}") from exc
    if max_fields > 0 and text and text.count("&") + 1 > max_fields:
        raise too_many_fields(max_fields)  # (parse_qsl splits on "&" only)
    fields = parse_qsl(text, keep_blank_values=True, encoding=charset)
    return MultiDictProxy(MultiDict(fields))
