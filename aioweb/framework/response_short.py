"""The short path of ``Response``: a response whose headers are still those its constructor
set (``Response(text=...)``, ``json_response(...)``, ``Response(body=...)``), sent whole on an
HTTP/1.1 request that is not ``HEAD``.

Its state is a ``PlainState`` the constructor makes: status, reason, content type, the
headers and their multidict version, and, once sent, what went on the wire.  Compiled, the
state is a C struct read without attribute look-ups (a response is a Python class, whose
attributes each cost a look-up on its long MRO: users subclass it, and ``HTTPException`` is
both a response and an exception, so it cannot have a C base).

The fields the head carries beyond the constructor's (``Content-Length``, the default
``Content-Type``, ``Date``, ``Server``, ``Connection: close``) are added to ``headers`` only
when someone reads them: after the response was sent, on the first ``response.headers``; if
someone read ``headers`` before it was sent (and may keep the object), when it is sent.
Either way ``headers`` holds what the general path (``StreamResponse._build_head``) puts
there, in the same order.
"""

from __future__ import annotations

from typing import Any

from multidict import CIMultiDict, getversion, istr

from aioweb.framework.request_fields import RequestFields
from aioweb.http.writer import http_date_now, plain_head

__all__ = [
    "PlainState",
    "add_fields",
    "end_plain_version",
    "expose_fields",
    "finish_short",
    "new_state",
    "plain_version",
    "set_headers",
    "short_head",
]

_CONTENT_TYPE = istr("Content-Type")
_CONTENT_LENGTH = istr("Content-Length")
_DATE = istr("Date")
_SERVER = istr("Server")
_CONNECTION = istr("Connection")

# Bodies from this size up are written after their head instead of being copied behind it
# (as ``response._JOIN_LIMIT``).
_JOIN_LIMIT = 16 * 1024


class PlainState:
    """What the short path reads of a response (typed when compiled), and what it sent."""

    __slots__ = (
        "content_type",
        "date",
        "exposed",
        "headers",
        "keep_alive",
        "length",
        "pending",
        "reason",
        "sent",
        "server",
        "status",
        "version",
    )

    # Declarations for type checkers only (no values: the slots above, or the .pxd's C fields).
    headers: CIMultiDict[str]
    version: Any
    content_type: str | None
    status: int
    reason: Any
    server: str
    date: str
    length: int
    sent: bool
    exposed: bool
    pending: bool
    keep_alive: bool


def new_state(
    headers: CIMultiDict[str], content_type: str | None, status: int, reason: Any
) -> PlainState:
    """The state of a response just made (compiled: one C allocation from a free list and
    typed stores, no ``__init__`` call with its argument parsing)."""
    state = PlainState.__new__(PlainState)
    state.headers = headers
    # Any change to the headers moves their version: then the general path builds the head.
    state.version = getversion(headers)  # type: ignore[arg-type]
    state.content_type = content_type
    state.status = status
    state.reason = reason
    state.sent = False  # written by finish_short
    state.exposed = False  # ``headers`` was read before: add the fields when sent
    state.pending = False  # sent, the fields not yet in ``headers``
    state.keep_alive = False
    state.length = 0
    state.date = ""
    state.server = ""
    return state


def short_head(state: PlainState, body: bytes | None, request: Any, protocol: Any) -> bytes | None:
    """The whole head, or ``None`` when the response or the request is not the simple case
    (headers changed, a status without a body, HTTP/1.0, ``HEAD``): the general path then.

    The head comes from the writer's table of recent heads (it refuses CR or LF in a value:
    ``content_type=`` comes from the application).  Records what it wrote in ``state``.
    """
    status = state.status
    if state.sent or state.version != getversion(state.headers):  # type: ignore[arg-type]
        return None
    if status < 200 or status == 204 or status == 304:
        return None
    if not isinstance(request, RequestFields):
        return None  # (not one of the framework's requests: the general path)
    fields = request  # (typed: its fields are read as C fields when compiled)
    head = fields._head
    if head.version != "1.1" or fields._method == "HEAD":
        return None
    length = len(body) if body is not None else 0
    server = protocol.server_header
    keep_alive = head.keep_alive and not protocol.closing
    date = http_date_now()
    wire = plain_head(status, state.reason, state.content_type, length, server, keep_alive, date)
    state.length = length
    state.server = server
    state.keep_alive = keep_alive
    state.date = date
    return wire


def finish_short(state: PlainState, head: bytes, body: bytes | None, writer: Any) -> None:
    """Write head and body (one piece when the body is small); the fields join ``headers``
    now if someone holds them, else when they are first read."""
    state.sent = True
    if state.exposed:
        add_fields(state)
    else:
        state.pending = True
    length = state.length
    if not length:
        writer.write(head)
    elif length < _JOIN_LIMIT:
        writer.write(head + body)  # type: ignore[operator]  # (length > 0: a body)
    else:
        writer.write(head)
        writer.write(body)


def add_fields(state: PlainState) -> None:
    """Add to ``headers`` the fields the head carries beyond the constructor's, in the order
    the general path adds them."""
    headers = state.headers
    length = state.length
    headers[_CONTENT_LENGTH] = str(length)
    if state.content_type is None and length:  # (an empty body has no type: RFC 9110 §8.3)
        headers[_CONTENT_TYPE] = "application/octet-stream"
    headers[_DATE] = state.date
    headers[_SERVER] = state.server
    if not state.keep_alive:
        headers[_CONNECTION] = "close"


def expose_fields(state: PlainState) -> None:
    """``response.headers`` is being read: a sent response's fields join them now; an unsent
    one's will join them as it is sent (the caller may keep the object)."""
    if state.pending:
        state.pending = False
        add_fields(state)
    elif not state.sent:
        state.exposed = True


def plain_version(response: Any) -> int:
    """``Response._plain_version``: the multidict version of headers untouched since the
    constructor, or -1 (the getter of a property kept for the mixins)."""
    state = response._short
    return state.version if state is not None else -1


def end_plain_version(response: Any, value: int) -> None:
    """``response._plain_version = -1`` (cookies, compression, a payload body) ends the short
    path, which writes none of them."""
    if value == -1:
        response._short = None


def set_headers(response: Any, headers: CIMultiDict[str]) -> None:
    """``response._headers = ...`` (a subclass's own mapping): not the short path's any more."""
    response._hdrs = headers
    response._short = None
