"""JSON responses: ``json_response`` (``json.dumps``'s text, faster), ``json_bytes_response``
(for a ``dumps`` returning bytes) and the default ``json_dumps``.

Compiled (see ``aioweb._extensions``): ``json_response`` runs for every JSON request, and its
argument handling costs measurably more interpreted than compiled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aioweb.framework.helpers import sentinel
from aioweb.framework.response import Response

__all__ = ["json_bytes_response", "json_dumps", "json_response"]


def _json_dumps_function() -> Callable[[Any], str]:
    """``json.dumps`` with its default settings, minus its per-call Python layers.

    ``json.dumps(obj)`` builds ``JSONEncoder.encode`` -> ``iterencode`` -> a C encoder on every
    call; calling the C encoder directly, made with the same arguments that path passes (so
    circular data still raises ``ValueError``), gives the same text in about a third of the
    time.  Without the C accelerator it is ``json.dumps`` itself.
    """
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:
        return json.dumps
    base = json.JSONEncoder()
    # (markers, then json.dumps's defaults: default, encoder, indent, separators, sort_keys,
    # skipkeys, allow_nan)
    arguments = (
        base.default,
        json.encoder.encode_basestring_ascii,
        None,
        ": ",
        ", ",
        False,
        False,
        True,
    )
    # One encoder serves every call.  Its ``markers`` (the containers being encoded, for the
    # circular-reference check) are empty between calls; they are not while another thread
    # is encoding with it, or after a failed call, and then a fresh encoder does the work.
    markers: dict[int, Any] = {}
    shared = make_encoder(markers, *arguments)

    def dumps(obj: Any) -> str:
        if markers:
            return "".join(make_encoder({}, *arguments)(obj, 0))
        try:
            return "".join(shared(obj, 0))
        except BaseException:
            markers.clear()
            raise

    dumps.__doc__ = "Serialise ``obj`` exactly as ``json.dumps(obj)`` does."
    return dumps


#: The default ``dumps`` of :func:`json_response`: ``json.dumps(obj)``'s output, faster.
json_dumps = _json_dumps_function()


def json_response(
    data: Any = sentinel,
    *,
    text: str | None = None,
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    content_type: str = "application/json",
    dumps: Callable[[Any], str] = json_dumps,
) -> Response:
    """A ``Response`` with ``data`` serialised by ``dumps`` (``json.dumps``'s output by default).

    ``data=None`` is serialised too (the body is ``null``); only an absent ``data`` means
    "use ``text`` or ``body`` as given".
    """
    if data is not sentinel:
        if text or body:
            raise ValueError("only one of data, text, or body should be specified")
        text = dumps(data)
    if body is None and headers is None and reason is None and status == 200:
        # The common call: only what differs from Response's defaults is passed (each
        # keyword is a dict entry made here and parsed again by the constructor).
        return Response(text=text, content_type=content_type)
    return Response(
        text=text,
        body=body,
        status=status,
        reason=reason,
        headers=headers,
        content_type=content_type,
    )


def json_bytes_response(
    data: Any = sentinel,
    *,
    dumps: Callable[[Any], bytes],
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    content_type: str = "application/json",
) -> Response:
    """A JSON ``Response`` whose ``dumps`` returns bytes (orjson, msgspec...).

    The bytes become the body as they are, with no round trip through ``str``; ``dumps`` is
    required because ``json.dumps`` returns ``str``.
    """
    if data is not sentinel:
        if body is not None:
            raise ValueError("only one of data or body should be specified")
        body = dumps(data)
    return Response(
        body=body, status=status, reason=reason, headers=headers, content_type=content_type
    )
