"""A response the framework wrote as HTTP/1.1 bytes, restated as ASGI messages.

Every aioweb response (``Response``, ``StreamResponse``, ``FileResponse``, compressed,
chunked, SSE) ends in ``Connection.write(bytes)`` with a serialized head and framed body.
Rather than teach each of them a second output format, the ASGI side reads those bytes back
with llhttp's response parser (``httptools``, the same C parser the wire layer uses for
requests): the status and fields become ``http.response.start``, the body with its framing
removed becomes ``http.response.body`` messages.  Connection-specific fields (RFC 9110
§7.6.1, and forbidden in HTTP/2 and HTTP/3) are left out: framing and keep-alive belong to the
ASGI server.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, MutableMapping
from typing import Any

import httptools

__all__ = ["ResponseMessages"]

_CONNECTION_FIELDS = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"proxy-connection", b"upgrade"}
)


class ResponseMessages:
    """Feed response bytes; ASGI messages are appended to ``out`` as they complete.

    ``status`` is the response's status once its head was read (0 before).  Consecutive body
    pieces still waiting in ``out`` are joined (one ``send`` for what one write produced).
    """

    def __init__(
        self,
        out: deque[MutableMapping[str, Any]],
        drop: frozenset[bytes],
        on_interim: Callable[[int], None] | None = None,
    ) -> None:
        self._out = out
        self._on_interim = on_interim
        self._drop = _CONNECTION_FIELDS | drop
        self._parser = httptools.HttpResponseParser(self)
        self._headers: list[tuple[bytes, bytes]] = []
        self.status = 0
        self.body_message: MutableMapping[str, Any] | None = None

    def feed(self, data: bytes) -> None:
        self._parser.feed_data(data)

    # -- llhttp's callbacks --------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name not in self._drop:
            self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        headers, self._headers = self._headers, []
        if status < 200 and status != 101:
            # An interim response written by hand (an aiohttp 0.17-style expect handler
            # writes "100 Continue" to the transport): 1xx answers are the ASGI server's to
            # send, which it does when the body is first received.
            if self._on_interim is not None:
                self._on_interim(status)
            return
        self.status = status
        self._out.append({"type": "http.response.start", "status": status, "headers": headers})

    def on_body(self, body: bytes) -> None:
        out = self._out
        last = self.body_message
        if last is not None and out and out[-1] is last:
            last["body"] += body
            return
        message: MutableMapping[str, Any] = {
            "type": "http.response.body",
            "body": bytes(body),
            "more_body": True,
        }
        self.body_message = message
        out.append(message)

    def finish(self) -> None:
        """The response is complete: mark its last message (or add an empty one)."""
        out = self._out
        last = self.body_message
        if last is not None and out and out[-1] is last:
            last["more_body"] = False
        else:
            out.append({"type": "http.response.body", "body": b"", "more_body": False})
