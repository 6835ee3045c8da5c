"""``Forwarded`` (RFC 7239) and ``X-Forwarded-*``: the one parser of the wire layer.

Two policies over one tokenizer. **Strict** (:func:`parse_forwarded`, :func:`parse_node`,
:func:`parse_xff_entry`, :func:`valid_proto`, :func:`valid_host`) raises
:class:`ForwardedError`; the proxy integration (``aioweb.integrations.proxy``) uses it for
headers from a proxy it trusts, where a malformed value is a misconfiguration to report.
**Lenient** (:func:`parse_forwarded_lenient`) skips what does not parse; ``request.forwarded``
uses it, as aiohttp does, because it reports whatever the client sent. Which hops to believe
(the trust policy) is not a wire rule and stays in the integration.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

__all__ = [
    "ForwardedError",
    "parse_forwarded",
    "parse_forwarded_cached",
    "parse_forwarded_lenient",
    "parse_node",
    "parse_xff_entry",
    "valid_host",
    "valid_proto",
]


class ForwardedError(ValueError):
    """A forwarding header from a trusted proxy is malformed (the proxy is misconfigured)."""


# --- RFC 7230/7239 lexical pieces ----------------------------------------------------------

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE   (RFC 7230 section 3.2.6)
_QUOTED = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_PAIR_RE = re.compile(rf"({_TOKEN})=({_TOKEN}|{_QUOTED})")
# Lenient: an unquoted node with a port (``for=1.2.3.4:1234``; RFC 7239 wants it quoted, but
# proxies send it so and aiohttp reads it) is one value.
_PAIR_LENIENT_RE = re.compile(rf"({_TOKEN})=({_TOKEN}(?::[0-9]{{1,5}})?|{_QUOTED})")
_OWS_RE = re.compile(r"[ \t]*")
_QUOTED_PAIR_RE = re.compile(r"\\(.)")
# obfnode / obfport = "_" 1*( ALPHA / DIGIT / "." / "_" / "-" )   (RFC 7239 section 6.3)
_OBFUSCATED_RE = re.compile(r"_[A-Za-z0-9._-]+")
_PORT_RE = re.compile(r"[0-9]{1,5}")
# uri-scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )   (RFC 3986 section 3.1)
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
# Host = uri-host [ ":" port ]: a reg-name (unreserved / pct-encoded / sub-delims) or [IPv6].
_HOST_RE = re.compile(
    r"(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+(?::[0-9]{1,5})?"
    r"|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?"
)


def _elements(value: str, lenient: bool) -> list[dict[str, str]]:
    """The one tokenizer of ``Forwarded``: elements split on ``,``, pairs on ``;``.

    Strict: any deviation from the grammar raises :class:`ForwardedError`, and empty elements
    (``a, , b``) are skipped as the list syntax allows. Lenient (aiohttp's
    ``request.forwarded``): a malformed pair is skipped up to the next ``;`` or ``,``, a
    repeated parameter keeps its first value, and every comma ends an element, empty or not.
    """
    elements: list[dict[str, str]] = []
    element: dict[str, str] = {}
    pos, end = 0, len(value)
    while True:
        pos = _OWS_RE.match(value, pos).end()  # type: ignore[union-attr]
        if pos >= end:
            break
        char = value[pos]
        if char == ",":
            if element or lenient:
                elements.append(element)
                element = {}
            pos += 1
            continue
        if char == ";":
            pos += 1
            continue
        match = (_PAIR_LENIENT_RE if lenient else _PAIR_RE).match(value, pos)
        after = end if match is None else _OWS_RE.match(value, match.end()).end()  # type: ignore[union-attr]
        if match is None or (after < end and value[after] not in ",;"):
            if not lenient:
                where = pos if match is None else after
                expected = "name=value" if match is None else "';' or ','"
                raise ForwardedError(f"Forwarded: expected {expected} at offset {where}: {value!r}")
            pos = _skip_element_part(value, pos)
            continue
        name = match[1].lower()
        if name in element:
            if not lenient:
                raise ForwardedError(f"Forwarded: parameter {name!r} repeated in one element")
        else:
            raw = match[2]
            element[name] = _QUOTED_PAIR_RE.sub(r"\1", raw[1:-1]) if raw.startswith('"') else raw
        pos = after
    if element or lenient:
        elements.append(element)
    return elements


def _skip_element_part(value: str, pos: int) -> int:
    """The position of the next ``;`` or ``,`` outside a quoted string (or the end).

    A quote that is never closed does not quote: a proxy that appends its element to a
    malformed one (``for=_x;by=", for=_real``) must not have its element swallowed.
    """
    found = _next_separator(value, pos, honour_quotes=True)
    if found == len(value) and value.count('"', pos) % 2:
        return _next_separator(value, pos, honour_quotes=False)
    return found


def _next_separator(value: str, pos: int, honour_quotes: bool) -> int:
    quoted = escaped = False
    for index in range(pos, len(value)):
        char = value[index]
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"' and honour_quotes:
            quoted = not quoted
        elif not quoted and char in ",;":
            return index
    return len(value)


def parse_forwarded(value: str) -> list[dict[str, str]]:
    """Parse one ``Forwarded`` header value into its elements, left (oldest hop) to right.

    Each element is a dict of lower-cased parameter names (``for``, ``by``, ``proto``, ``host``,
    extensions) to unquoted values. Empty list elements (``a, , b``) are skipped as the list
    syntax allows; a parameter repeated inside one element is an error (RFC 7239 section 4).

    Raises :class:`ForwardedError` on anything that is not valid syntax (the proxy
    integration's policy: a trusted proxy's malformed header is its misconfiguration).
    """
    return _elements(value, lenient=False)


def parse_forwarded_lenient(headers: Iterable[str]) -> tuple[Mapping[str, str], ...]:
    """aiohttp's ``request.forwarded``: one read-only mapping per element of every line;
    malformed pairs are skipped (the same tokenizer as :func:`parse_forwarded`)."""
    return tuple(
        MappingProxyType(element) for line in headers for element in _elements(line, lenient=True)
    )


@lru_cache(maxsize=1024)
def parse_forwarded_cached(value: str) -> tuple[dict[str, str], ...]:
    """:func:`parse_forwarded`, remembered: a client's proxy sends it the same line each time.
    The dicts are shared between calls and must not be changed."""
    return tuple(parse_forwarded(value))


@lru_cache(maxsize=4096)
def parse_node(value: str) -> str:
    """Validate an RFC 7239 node (``for``/``by`` value) and return its name without the port.

    Accepted: ``192.0.2.43``, ``192.0.2.43:8080``, ``[2001:db8::1]``, ``[2001:db8::1]:_port``,
    ``unknown``, and obfuscated identifiers such as ``_hidden``. IP addresses come back in
    canonical form (IPv6 without brackets, lower case, compressed) so they compare equal to
    ``request.remote``. Raises :class:`ForwardedError` otherwise.
    """
    name = value
    if value.startswith("["):
        close = value.find("]")
        if close < 0:
            raise ForwardedError(f"unterminated IPv6 literal in node {value!r}")
        name, rest = value[1:close], value[close + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ForwardedError(f"junk after IPv6 literal in node {value!r}")
            _check_port(rest[1:], value)
        try:
            return str(ipaddress.IPv6Address(name))
        except ValueError:
            raise ForwardedError(f"invalid IPv6 address in node {value!r}") from None
    if ":" in value:
        name, port = value.split(":", 1)
        _check_port(port, value)
    if name.lower() == "unknown":
        return "unknown"
    if _OBFUSCATED_RE.fullmatch(name):
        return name
    try:
        return str(ipaddress.IPv4Address(name))
    except ValueError:
        raise ForwardedError(f"invalid node {value!r}") from None


def _check_port(port: str, node: str) -> None:
    # node-port = port / obfport; "1.2.3.4:" (empty port) is not a node.
    if not (_PORT_RE.fullmatch(port) or _OBFUSCATED_RE.fullmatch(port)):
        raise ForwardedError(f"invalid port in node {node!r}")


# Parsing an address with ipaddress costs microseconds; the same few client and proxy addresses
# come back on request after request. Bounded caches keep the per-request cost near a dict lookup
# without letting a flood of distinct values grow memory.
@lru_cache(maxsize=4096)
def parse_xff_entry(entry: str) -> str:
    """One ``X-Forwarded-For`` entry: a bare IPv4/IPv6 address, optionally with a port
    (``1.2.3.4:5678``, ``[::1]:5678``) as some load balancers add, or ``unknown``."""
    if entry.startswith("[") or entry.count(":") == 1:
        return parse_node(entry)  # bracketed IPv6 or IPv4:port
    if entry.lower() == "unknown":
        return "unknown"
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        raise ForwardedError(f"X-Forwarded-For: invalid address {entry!r}") from None


@lru_cache(maxsize=64)
def valid_proto(value: str, header: str) -> str:
    if not _SCHEME_RE.fullmatch(value):
        raise ForwardedError(f"{header}: invalid scheme {value!r}")
    return value.lower()


@lru_cache(maxsize=1024)
def valid_host(value: str, header: str) -> str:
    if not _HOST_RE.fullmatch(value):
        raise ForwardedError(f"{header}: invalid host {value!r}")
    return value
