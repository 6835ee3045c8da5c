"""What one connection tolerates from its client and from its application.

Kept out of ``protocol.py`` (the per-request hot path) because none of it runs per request:

* :data:`MAX_CONTENT_LENGTH`, checked once per head that announces a body;
* :func:`body_progress`, the slow-body rule, checked every few seconds while a body arrives;
* :func:`first_request_due`, once per connection (its first request's head deadline);
* :func:`must_propagate`, consulted only when a handler raised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .protocol import HttpProtocol
    from .streams import StreamReader

__all__ = [
    "BODY",
    "HEAD",
    "IDLE",
    "MAX_CONTENT_LENGTH",
    "NO_DEADLINE",
    "body_progress",
    "first_request_due",
    "must_propagate",
]

#: Timer states: which deadline a connection is under (``HttpProtocol._deadline_state``).
NO_DEADLINE, IDLE, HEAD, BODY = range(4)

#: A ``Content-Length`` above this is refused with 413 as soon as the head is read: no handler
#: could want it, and offsets past it overflow the C integers (``Py_ssize_t``) that slicing
#: uses (``Content-Length: 9223372036854775807`` and a large read aborted the connection).
MAX_CONTENT_LENGTH = 2**53


def body_progress(protocol: HttpProtocol, payload: StreamReader, now: float) -> bool:
    """Whether a body still arriving keeps a pace worth waiting for (then the caller checks
    again one window later), measured over the window since the last check.

    Two rules.  ``body_timeout`` bounds a silence.  After ``body_rate_grace`` seconds,
    ``body_min_rate`` bounds the pace: a slow-loris body (a byte now and then, holding a
    connection for hours) is cut, while an honest large upload over a slow link goes on for as
    long as it needs, which a total deadline would not allow.  While reading is paused (the
    handler is not consuming the body, and TCP holds the client back) the server is the one not
    taking bytes: a window in which reading was paused at any moment does not count against the
    client.
    """
    settings = protocol._settings
    total = payload.total_bytes
    got = total - protocol._body_mark
    elapsed = now - protocol._body_mark_time
    protocol._body_mark = total
    protocol._body_mark_time = now
    if protocol._read_pauses or protocol._paused_since_check:
        # Paused now, or at some moment of the window (reading resumed just before this
        # check, so the window's few bytes say nothing about the client's pace).
        protocol._paused_since_check = bool(protocol._read_pauses)
        protocol._body_silent = 0.0
        return True
    protocol._body_silent = 0.0 if got else protocol._body_silent + elapsed
    if 0 < settings.body_timeout <= protocol._body_silent:
        return False
    rate = settings.body_min_rate
    return not (
        rate > 0 and now - protocol._body_start >= settings.body_rate_grace and got < rate * elapsed
    )


def first_request_due(protocol: HttpProtocol) -> None:
    """A connection's first request began arriving: its head is due by the first-request
    deadline too (``keepalive_timeout`` after the connection opened, as in aiohttp 3.14),
    whichever comes first with ``header_timeout``: trickled bytes do not extend it."""
    due = protocol._opened + protocol._keepalive_timeout
    if protocol._deadline_state == NO_DEADLINE or due < protocol._deadline:
        protocol._deadline_state = HEAD
        protocol._deadline = due


def must_propagate(exc: BaseException) -> bool:
    """Whether an exception from a handler leaves the request unanswered (and the connection
    closes) rather than being answered with an error response.

    As in aiohttp: an ``Exception`` is answered (500, or 504 for a ``TimeoutError``); anything
    else is not.  ``CancelledError`` (the handler was cancelled, or cancelled itself) and other
    ``BaseException`` subclasses (a test framework's failed check) close the connection without
    a response; ``ConnectionError`` means the client is gone.  The connection's code catches
    them all except ``KeyboardInterrupt``/``SystemExit``/``GeneratorExit``, so nothing escapes
    ``data_received``.
    """
    return isinstance(exc, ConnectionError) or not isinstance(exc, Exception)
