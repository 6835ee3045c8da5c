"""The bytes of the replies the server writes itself, when no handler's response exists: a
malformed request (400...), a request head that never came (408), a handler that failed
before it produced anything (500).

Each one ends the connection (``Connection: close``): after such an error the server cannot
trust where the next request would start.
"""

from __future__ import annotations

from ..http.writer import http_date_now, reason_phrase

__all__ = ["plain_reply"]


def plain_reply(status: int, message: str, server_header: str) -> bytes:
    """A complete ``text/plain`` response: the status, its reason phrase and ``message``."""
    body = f"{status} {reason_phrase(status)}\n\n{message}\n".encode()
    head = (
        f"HTTP/1.1 {status} {reason_phrase(status)}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Date: {http_date_now()}\r\n"
        f"Server: {server_header}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("latin-1")
    return head + body
