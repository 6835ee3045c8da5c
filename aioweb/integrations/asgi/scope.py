"""An ASGI connection scope as the framework's request head.

The ASGI server has already parsed and validated the request (HTTP/1.1, HTTP/2 or HTTP/3);
this module only restates what it found in the shape the framework reads
(``aioweb.http.parser.RequestHead``), so that ``Request`` and everything built on it (routing,
cookies, conditionals, multipart) run unchanged.  Nothing here re-parses HTTP.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any
from urllib.parse import quote

from aioweb.http.parser import RequestHead

__all__ = ["Scope", "head_from_scope", "scope_version"]

Scope = MutableMapping[str, Any]

# HTTP/2 and HTTP/3 carry no request body framing in headers: a body without Content-Length
# is simply "of unknown length" (the framework's chunked case).  These methods carry none
# in practice (RFC 9110 §9.3: no defined semantics for a body), so they are not given one.
_BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "TRACE", "CONNECT"})
# Request fields that describe the client's connection to the ASGI server, not the request:
# the server has dealt with them (framing, WebSocket extensions such as permessage-deflate).
_DROPPED_WS_FIELDS = frozenset({b"sec-websocket-extensions"})


def scope_version(scope: Scope) -> str:
    """The request's HTTP version as ``"major.minor"`` (ASGI says ``"1.1"``, ``"2"``, ``"3"``)."""
    version = str(scope.get("http_version", "1.1"))
    return version if "." in version else f"{version}.0"


def _target(scope: Scope) -> bytes:
    """The request target: ``raw_path`` (as sent, still percent-encoded) when the server gives
    it, else the decoded ``path`` encoded again; then ``?`` and the query string."""
    raw = scope.get("raw_path")
    if not raw:
        raw = quote(scope.get("path") or "/", safe="/:@!$&'()*+,;=-._~").encode("ascii")
    else:
        raw = bytes(raw).partition(b"?")[0]  # (some servers include the query in raw_path)
    query = scope.get("query_string") or b""
    return raw + b"?" + bytes(query) if query else bytes(raw)


def head_from_scope(scope: Scope, *, websocket: bool = False) -> RequestHead:
    """The ``RequestHead`` for an ``http`` or ``websocket`` scope.

    ``websocket=True``: the handshake fields the framework's ``WebSocketResponse`` checks are
    made present when the server left them out (an HTTP/2 extended CONNECT has no ``Upgrade``
    nor ``Sec-WebSocket-Key``); the server, not the framework, answers the client's handshake.
    """
    headers: list[tuple[bytes, bytes]] = [(bytes(n), bytes(v)) for n, v in scope["headers"]]
    content_length: int | None = None
    chunked = False
    expect: bytes | None = None
    for name, value in headers:
        lname = name.lower()
        if lname == b"content-length":
            try:
                content_length = int(value)
            except ValueError:
                content_length = None
        elif lname == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif lname == b"expect":
            expect = value
    version = scope_version(scope)
    method = "GET" if websocket else str(scope.get("method", "GET"))
    if websocket:
        headers = _websocket_fields(headers)
        content_length, chunked, expect = None, False, None
    elif (
        content_length is None
        and not chunked
        and version >= "2"
        and method not in (_BODYLESS_METHODS)
    ):
        chunked = True  # a body of unknown length may follow (see _BODYLESS_METHODS)
    url = _target(scope)
    simple_path = None
    if url[:1] == b"/" and b"%" not in url and b"?" not in url and b"#" not in url:
        simple_path = url.decode("utf-8", "surrogateescape")
    return RequestHead(
        method,
        url,
        version,
        headers,
        True,  # keep-alive is the ASGI server's business
        websocket,
        content_length,
        chunked,
        expect,
        simple_path,
    )


def _websocket_fields(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The handshake request as ``WebSocketResponse`` validates it (RFC 6455 §4.2.1)."""
    kept = [(n, v) for n, v in headers if n.lower() not in _DROPPED_WS_FIELDS]
    names = {n.lower() for n, _ in kept}
    if b"upgrade" not in names:
        kept.append((b"upgrade", b"websocket"))
    if b"connection" not in names:
        kept.append((b"connection", b"upgrade"))
    if b"sec-websocket-version" not in names:
        kept.append((b"sec-websocket-version", b"13"))
    if b"sec-websocket-key" not in names:
        # Any valid key: the accept value computed from it is never sent to the client.
        kept.append((b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="))
    return kept
