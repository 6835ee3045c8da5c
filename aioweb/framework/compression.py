"""Response compression: content negotiation helpers and an opt-in middleware.

``Response.enable_compression()`` (in ``response.py``) compresses one response with the best
coding the client accepts (br when ``brotli`` is installed, then gzip, then deflate) and adds
``Vary: Accept-Encoding``. This module answers the aiohttp FAQ's question "how do I enable
compression for the whole application?"::

    app = web.Application(middlewares=[compression_middleware()])

The middleware enables compression only where it pays and is safe:

* the client sent ``Accept-Encoding`` with a coding we can produce;
* the response is not yet sent (a ``StreamResponse`` the handler already prepared is left
  alone), has no ``Content-Encoding`` of its own, and its status may carry a body;
* its type is compressible: ``text/*``, JSON, JavaScript, XML, SVG, and the like. Already
  compressed types (images, audio, video, archives, fonts in woff/woff2) are skipped, since
  compressing them again costs CPU and gains nothing;
* a body known in advance is at least ``min_size`` bytes (default 1024): below about one
  packet, compression saves nothing on the wire;
* the response does not say ``Cache-Control: no-transform`` (RFC 9111 §5.2.2.6).

A ``FileResponse`` with a pre-compressed ``.br``/``.gz`` sibling is served from the sibling
and never compressed twice.

Public API::

    compression_middleware(*, min_size=1024, compressible=is_compressible) -> middleware
    is_compressible(content_type) -> bool
    accepted_codings(accept_encoding) -> dict[str, float]
    best_coding(accept_encoding, available=available_codings()) -> str | None
    available_codings() -> tuple[str, ...]
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from aioweb.framework.request import Request
    from aioweb.framework.response import StreamResponse

__all__ = [
    "accepted_codings",
    "available_codings",
    "best_coding",
    "compression_middleware",
    "is_compressible",
]

from aioweb.framework.media_types import guess_type
from aioweb.framework.types import Handler, Middleware
from aioweb.http.content_coding import (
    accepted_codings,
    available_codings,
    best_coding,
)

_COMPRESSIBLE_APPLICATION: Final = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/ecmascript",
        "application/xml",
        "application/xhtml+xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/ld+json",
        "application/manifest+json",
        "application/geo+json",
        "application/x-javascript",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "application/wasm",
        "application/x-ndjson",
        "image/svg+xml",
        "image/x-icon",
        "image/bmp",
        "font/ttf",
        "font/otf",
        "application/vnd.ms-fontobject",
    }
)
_INCOMPRESSIBLE_TEXT: Final = frozenset({"text/event-stream"})  # must stream unbuffered


def is_compressible(content_type: str | None) -> bool:
    """Whether a response of this type is worth compressing.

    ``text/event-stream`` is excluded: compressors buffer, and server-sent events must reach
    the client as they are written.
    """
    if not content_type:
        return False
    ctype = content_type.partition(";")[0].strip().lower()
    if ctype.startswith("text/"):
        return ctype not in _INCOMPRESSIBLE_TEXT
    return ctype in _COMPRESSIBLE_APPLICATION or ctype.endswith("+json") or ctype.endswith("+xml")


def compression_middleware(
    *,
    min_size: int = 1024,
    compressible: Callable[[str | None], bool] = is_compressible,
) -> Middleware:
    """A middleware that calls ``enable_compression()`` on responses that benefit from it."""

    async def compression(request: Request, handler: Handler) -> StreamResponse:
        response = await handler(request)
        accept = request.headers.get("Accept-Encoding")
        if not accept or best_coding(accept) is None:
            return response
        if response.prepared or getattr(response, "compression", False):
            return response
        headers = response.headers
        status = response.status
        if status < 200 or status in (204, 304) or "Content-Encoding" in headers:
            return response
        if "no-transform" in headers.get("Cache-Control", "").lower():
            return response
        size = _known_size(response)
        if size is not None and size < min_size:
            return response
        ctype = headers.get("Content-Type")
        path = getattr(response, "_path", None)
        if ctype is None and isinstance(path, str):
            ctype = guess_type(path)
        if not compressible(ctype):
            return response
        response.enable_compression()
        return response

    compression.__middleware_version__ = 1  # type: ignore[attr-defined]
    return compression


def _known_size(response: Any) -> int | None:
    body = getattr(response, "_body", None)
    if isinstance(body, bytes | bytearray):
        return len(body)
    path = getattr(response, "_path", None)
    if isinstance(path, str):
        try:
            return os.stat(path).st_size
        except OSError:
            return None
    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit():
        return int(length)
    return None
