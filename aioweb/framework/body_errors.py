"""The 400s a request body becomes when it does not decode as the handler asked.

A charset nobody knows, bytes that are not in the charset, or text that is not JSON are the
client's fault: a ``400 Bad Request``, not a 500 logged as a server error. Each error is also
the exception aiohttp's ``text()``/``json()`` raise there (``LookupError``, ``ValueError``,
``json.JSONDecodeError`` with its fields), so code written for aiohttp that catches those keeps
working (aiohttp-pydantic answers its own 400 on a ``JSONDecodeError``).
"""

from __future__ import annotations

import json

from aioweb.framework.exceptions import HTTPBadRequest

__all__ = ["invalid_json", "undecodable_body"]


def undecodable_body(exc: LookupError | ValueError) -> HTTPBadRequest:
    """The 400 for a body ``text()`` could not decode (``exc``: the decoder's error)."""
    base = LookupError if isinstance(exc, LookupError) else ValueError

    class _UndecodableBody(HTTPBadRequest, base):  # type: ignore[valid-type,misc]
        def __str__(self) -> str:
            return str(exc)  # what str() of aiohttp's error (the decoder's own) says

    return _UndecodableBody(text=f"Request body cannot be decoded: {exc}")


def invalid_json(exc: ValueError | RecursionError) -> HTTPBadRequest:
    """The 400 for a body ``json()`` could not parse (``exc``: the parser's error)."""
    decode = isinstance(exc, json.JSONDecodeError)

    class _InvalidJSON(HTTPBadRequest, json.JSONDecodeError if decode else ValueError):  # type: ignore[misc]
        def __str__(self) -> str:
            # aiohttp raises the parser's error itself: plugins answer its str() (swagger3)
            return str(exc)

    error = _InvalidJSON(text=f"Request body is not valid JSON: {exc}")
    error.__dict__.update(vars(exc) if decode else {})
    return error
