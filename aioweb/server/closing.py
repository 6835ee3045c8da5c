"""How a connection ends when it does not simply close: lingering close and graceful shutdown.

Kept out of ``protocol.py`` (compiled, on the per-request path) because neither runs per
request: a lingering close follows a refused body, a graceful shutdown happens once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .guards import IDLE

if TYPE_CHECKING:
    from .protocol import HttpProtocol

__all__ = ["linger_close", "shutdown_soon"]

# Lingering close: how long / how much to keep discarding.
LINGER_SECONDS = 5.0
LINGER_BYTES = 16 * 1024 * 1024

# How long a connection that has not sent a byte yet may still send its first request once a
# graceful shutdown began (it may have been accepted a moment before: answer it, don't reset).
SHUTDOWN_FIRST_REQUEST_GRACE = 1.0


def linger_close(protocol: HttpProtocol) -> None:
    """Close after a response while the client may still be sending the request body.

    Closing a socket that has unread input makes the kernel answer with RST, which can
    destroy the response (a 413, or an ``expect_handler``'s 403) before the client reads
    it: clients such as httpx send the whole body before reading. So: send FIN, keep
    reading and discarding for up to ``LINGER_SECONDS`` / ``LINGER_BYTES``, then close
    (RFC 9112 §9.6; nginx's ``lingering_close``).
    """
    transport = protocol.transport
    if transport is None or transport.is_closing():
        return
    protocol._closing = True
    protocol.flush()
    protocol._drop_parser()  # whatever arrives from now on is discarded
    try:
        if not transport.can_write_eof():
            raise NotImplementedError
        transport.write_eof()
    except (OSError, RuntimeError, NotImplementedError):
        protocol.close()
        return
    protocol._linger_left = LINGER_BYTES
    protocol._read_pauses.clear()
    try:
        transport.resume_reading()
    except (OSError, RuntimeError):
        pass
    protocol._loop.call_later(LINGER_SECONDS, protocol.close)


def shutdown_soon(protocol: HttpProtocol) -> None:
    """Graceful shutdown: finish the request in flight, then close; close idle ones now."""
    protocol._closing = True
    if protocol._upgraded:
        sink = protocol._upgrade_sink
        if sink is not None and hasattr(sink, "shutdown"):
            protocol._loop.create_task(sink.shutdown())
        elif sink is None and not protocol._busy:
            protocol.close()
        return
    if protocol._busy or protocol._queue:
        return
    parser = protocol._parser
    if parser is not None and parser.in_head:
        return  # a request is arriving: it is answered (with close) under header_timeout
    if protocol.request_count == 0 and parser is not None:
        # Accepted a moment ago, maybe while the loop was busy stopping: its request may
        # already sit unread in the socket, and closing a socket with unread input makes
        # the kernel answer RST (the client sees a reset, not a response).  Give it a
        # moment to be read and answered with ``Connection: close``.
        grace = SHUTDOWN_FIRST_REQUEST_GRACE
        timeout = protocol._settings.idle_timeout
        protocol._set_deadline(IDLE, min(timeout, grace) if timeout > 0 else grace)
        return
    protocol.close()
