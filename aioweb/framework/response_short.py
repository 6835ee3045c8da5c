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

The multidict itself is made only when someone asks for it (``make_headers``): until then the
constructor's one field, ``Content-Type``, lives in the state, and ``response._hdrs`` is
``None``.  Every way off the short path (``leave_short``: a status set, a forced close,
chunking, cookies, compression, a payload body) and every read of ``headers`` or
``_headers`` makes it first, with the constructor's field in it, so the general path finds
the headers it always found.
"""

from __future__ import annotations

from typing import Any

from multidict import CIMultiDict, getversion, istr

from aioweb.framework.request_fields import RequestFields
from aioweb.framework.response_body import check_reason
from aioweb.http.writer import http_date_now, plain_head

__all__ = [
    "PlainState",
    "add_fields",
    "end_plain_version",
    "expose_fields",
    "finish_short",
    "leave_short",
    "make_headers",
    "new_state",
    "plain_version",
    "set_headers",
    "short_head",
    "start_short",
]

_CONTENT_TYPE = istr("Content-Type")
_CONTENT_LENGTH = istr("Content-Length")
_DATE = istr("Date")
_SERVER = istr("Server")
_CONNECTION = istr("Connection")

# Bodies from this size up are written after their head instead of being copied behind it
# (as ``response._JOIN_LIMIT``).
_JOIN_LIMIT = 16 * 1024

# The headers of a state whose multidict is not made yet: never changed and never handed out,
# so its version stays the one read here, which ``short_head`` compares with as for any
# headers.  ``make_headers`` replaces it before anything could add a field.
_UNMADE: CIMultiDict[str] = CIMultiDict()
_UNMADE_VERSION = getversion(_UNMADE)  # type: ignore[arg-type]

# Response(text=..., content_type=X)'s Content-Type for each X seen (a few per application).
_UTF8_TYPES: dict[str | None, str] = {None: "text/plain; charset=utf-8"}


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


def start_short(
    response: Any,
    body: Any,
    text: Any,
    status: Any,
    reason: str | None,
    content_type: str | None,
    charset: str | None,
) -> bool:
    """``Response.__init__`` for ``text=`` a ``str`` or ``body=`` ``bytes`` with no
    ``headers=`` (``json_response`` too): what the general code does for them, without its
    checks for headers that cannot be there and without the headers' multidict (their one
    field, ``Content-Type``, kept in the state).  False, with nothing done, for anything else.
    """
    if body is None:
        if type(text) is not str or (content_type is not None and "charset" in content_type):
            return False  # (not a str, or the general path's error to raise)
    elif text is not None or charset is not None or type(body) is not bytes:
        return False
    if status == 200:  # (200 and no reason: the class defaults)
        status = 200
    else:
        status = status if type(status) is int else int(status)
        response._status = status
    if reason is not None:
        check_reason(reason)
        response._reason = reason
    if body is not None:
        value = content_type  # (bytes: a type only when given, as the general path)
    elif charset is None:
        value = _UTF8_TYPES.get(content_type)
        if value is None:
            value = f"{content_type or 'text/plain'}; charset=utf-8"
            if len(_UTF8_TYPES) < 64:
                _UTF8_TYPES[content_type] = value
        body = _utf8(text)
    else:
        value = f"{content_type or 'text/plain'}; charset={charset}"
        body = text.encode(charset)
    response._body = body
    response._short = new_state(None, value, status, reason)
    return True


def _utf8(text: str) -> bytes:
    """``text.encode("utf-8")``; compiled, the C encoder called directly (a ``str`` known as
    one) without the method look-up and call ``text.encode(charset)`` costs."""
    return text.encode("utf-8")


def new_state(
    headers: CIMultiDict[str] | None, content_type: str | None, status: int, reason: Any
) -> PlainState:
    """The state of a response just made (compiled: one C allocation from a free list and
    typed stores, no ``__init__`` call with its argument parsing).  ``headers`` is ``None``
    when the response has no multidict yet (its only field is ``content_type``)."""
    state = PlainState.__new__(PlainState)
    if headers is None:
        state.headers = _UNMADE
        state.version = _UNMADE_VERSION
    else:
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


def make_headers(response: Any, state: PlainState) -> CIMultiDict[str]:
    """The response's headers, made now if they were not: the constructor's ``Content-Type``
    (when it set one), stored as ``response._hdrs``; the state follows their version from
    here on."""
    headers = state.headers
    if headers is _UNMADE:
        headers = CIMultiDict()
        content_type = state.content_type
        if content_type is not None:
            headers[_CONTENT_TYPE] = content_type
        state.headers = headers
        state.version = getversion(headers)  # type: ignore[arg-type]
        response._hdrs = headers
    return headers


def leave_short(response: Any) -> None:
    """End the response's short path (a change the short head does not write), its headers
    made first, with the fields the short path already sent if it did: from here on
    ``response._hdrs`` is the one record the general path reads and changes."""
    state = response._short
    if state is not None:
        make_headers(response, state)
        if state.pending:
            state.pending = False
            add_fields(state)
        response._short = None


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
    the general path adds them (the headers made: ``make_headers``)."""
    headers = state.headers
    if headers is _UNMADE:  # (a caller that forgot make_headers: never the shared one)
        raise RuntimeError("the response's headers were not made")
    length = state.length
    headers[_CONTENT_LENGTH] = str(length)
    if state.content_type is None and length:  # (an empty body has no type: RFC 9110 §8.3)
        headers[_CONTENT_TYPE] = "application/octet-stream"
    headers[_DATE] = state.date
    headers[_SERVER] = state.server
    if not state.keep_alive:
        headers[_CONNECTION] = "close"


def expose_fields(response: Any, state: PlainState) -> CIMultiDict[str]:
    """``response.headers`` is being read (returned, made if they were not): a sent
    response's fields join them now; an unsent one's will join them as it is sent (the caller
    may keep the object)."""
    headers = make_headers(response, state)
    if state.pending:
        state.pending = False
        add_fields(state)
    elif not state.sent:
        state.exposed = True
    return headers


def plain_version(response: Any) -> int:
    """``Response._plain_version``: the multidict version of headers untouched since the
    constructor, or -1 (the getter of a property kept for the mixins)."""
    state = response._short
    return state.version if state is not None else -1


def end_plain_version(response: Any, value: int) -> None:
    """``response._plain_version = -1`` (cookies, compression, a payload body) ends the short
    path, which writes none of them."""
    if value == -1:
        leave_short(response)


def set_headers(response: Any, headers: CIMultiDict[str]) -> None:
    """``response._headers = ...`` (a subclass's own mapping): not the short path's any more."""
    response._hdrs = headers
    response._short = None
