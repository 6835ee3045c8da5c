"""Request targets in absolute-form (RFC 9112 §3.2.2): checked once, split for the framework.

llhttp takes any ``scheme://anything`` as a target; what is inside is left to its caller.  An
origin server must accept the absolute-form and, when it gets one, use its authority instead
of the ``Host`` field.  So the authority must be valid before the request reaches anyone:
an out-of-range port, userinfo (RFC 9110 §4.2.4: a recipient treats it as an error), an empty
host (§4.2.1: a recipient must reject it) or an unclosed IP literal is a 400 here, not an
exception later in code that builds a URL from it.
"""

from __future__ import annotations

import ipaddress
import re

from .errors import BadRequest

__all__ = ["split_absolute_form"]

# scheme "://" authority path-abempty [ "?" query ] (the fragment, if any, is cut later)
_ABSOLUTE = re.compile(rb"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)", re.DOTALL)
# host [ ":" port ]: an IP literal in brackets, or a reg-name / IPv4 address (not empty)
_AUTHORITY = re.compile(rb"(\[[0-9A-Za-z:.%_~-]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::([0-9]*))?")


def split_absolute_form(target: bytes) -> tuple[str, str, str]:
    """``(scheme, authority, path_and_query)`` of an absolute-form target, else 400.

    Only ``http`` and ``https`` targets are taken: an origin server has nothing to serve
    for another scheme.  The authority is returned as sent (``host[:port]``), the path and
    query still percent-encoded, ``/`` when the target has no path.
    """
    match = _ABSOLUTE.fullmatch(target)
    if match is None:
        raise BadRequest("Invalid request target: neither origin-form nor absolute-form")
    scheme = match[1].lower()
    if scheme not in (b"http", b"https"):
        raise BadRequest("Invalid request target: only http and https URIs are served")
    authority = match[2]
    if b"@" in authority:
        raise BadRequest("Invalid request target: userinfo in the authority")
    host = _AUTHORITY.fullmatch(authority)
    if host is None:
        raise BadRequest("Invalid request target: bad or empty host")
    port = host[2]
    if port and (len(port) > 5 or int(port) > 65535):
        raise BadRequest("Invalid request target: port out of range")
    literal = host[1]
    if literal[:1] == b"[":
        try:
            ipaddress.IPv6Address(literal[1:-1].decode("ascii").partition("%")[0])
        except ValueError:
            raise BadRequest("Invalid request target: bad IP literal") from None
    rest = match[3]
    if rest[:1] != b"/":
        rest = b"/" + rest  # "http://a.example" and "http://a.example?q" have the path "/"
    return (
        scheme.decode("ascii"),
        authority.decode("ascii"),
        rest.decode("utf-8", "surrogateescape"),
    )
