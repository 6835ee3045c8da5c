"""Building and rebuilding a request's parsed head outside the server's parser.

``clone()`` replaces a head's method, target or headers; code and tests written for aiohttp
build a request from aiohttp's ``RawRequestMessage`` record. Both end up as the one
:class:`~aioweb.http.parser.RequestHead` type the request reads, so the request itself keeps a
single, fast representation. Also here: the local socket address as a URL host, which is what
``request.host`` falls back to when a request names no host.
"""

from __future__ import annotations

from typing import Any

from multidict import CIMultiDict
from yarl import URL

from aioweb.framework.helpers import sentinel
from aioweb.http.parser import RequestHead

__all__ = ["head_from_message", "replace_head", "socket_host"]


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def head_from_message(message: Any) -> RequestHead:
    """A ``RequestHead`` from a record with aiohttp's ``RawRequestMessage`` fields
    (``method, path, version, headers, raw_headers, should_close, compression, upgrade,
    chunked, url``)."""
    headers = message.headers
    raw = list(message.raw_headers) or [(_encode(k), _encode(v)) for k, v in headers.items()]
    length = headers.get("Content-Length")
    expect = headers.get("Expect")
    version = message.version
    return RequestHead(
        message.method,
        _encode(message.path),
        f"{version[0]}.{version[1]}",
        raw,
        not message.should_close,
        bool(message.upgrade),
        int(length) if length and length.isdigit() else None,
        bool(message.chunked),
        _encode(expect) if expect else None,
    )


def replace_head(head: RequestHead, method: Any, rel_url: Any, headers: Any) -> RequestHead:
    """``head`` with its method, target and/or headers replaced (``sentinel``: kept)."""
    new_method = head.method if method is sentinel else str(method).upper()
    if rel_url is sentinel:
        url = head.url
    else:
        new_url = URL(rel_url)
        if new_url.absolute:
            raise ValueError("rel_url should be a relative URL")
        url = _encode(new_url.raw_path_qs)
    if headers is sentinel:
        raw_headers = head.headers
    else:
        raw_headers = [(_encode(k), _encode(v)) for k, v in CIMultiDict(headers).items()]
    return RequestHead(
        new_method,
        url,
        head.version,
        raw_headers,
        head.keep_alive,
        head.upgrade,
        head.content_length,
        head.chunked,
        head.expect,
    )


def socket_host(protocol: Any, transport: Any) -> str:
    """The connection's local address as a URL host: ``127.0.0.1``, ``[::1]`` (bracketed, so it
    is a valid authority), a unix socket's path, or ``''`` when nothing tells.

    A connection that remembers its ``sockname`` (aiohttp's does; it outlives the transport)
    is asked first, then the transport (with the name alone: aiohttp's tests hand in
    transports whose ``get_extra_info`` takes one argument).
    """
    sockname = getattr(protocol, "sockname", None) if protocol is not None else None
    if sockname is None and transport is not None:
        sockname = transport.get_extra_info("sockname")
    if sockname is None:
        return ""
    if isinstance(sockname, (list, tuple)):
        if len(sockname) == 4:  # AF_INET6: (host, port, flowinfo, scope_id)
            return f"[{sockname[0]}]"
        return str(sockname[0])
    return str(sockname)
