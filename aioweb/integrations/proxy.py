"""Trusted reverse-proxy support: who really sent this request, and how?

Behind nginx (or a cloud load balancer) every connection comes from the proxy, so
``request.remote`` is the proxy's address and ``request.scheme`` is ``http`` even when the client
spoke HTTPS to the proxy. Proxies report the original values in headers: the de-facto
``X-Forwarded-For`` / ``X-Forwarded-Proto`` / ``X-Forwarded-Host`` trio, or RFC 7239's
``Forwarded``. Anyone can send those headers, so they mean something only when the connection
comes from a proxy you run. This module applies them under exactly that condition:

* The immediate peer (the TCP or Unix-socket peer) must be in the configured trusted set, or the
  headers are ignored without even being parsed.
* The forwarding chain is read right to left, because each proxy appends the address it received
  the request from. Entries are skipped while they name trusted proxies; the first untrusted entry
  is the client. Entries to the left of it were written by the client itself and are never used,
  so a client cannot claim to be someone else by sending its own ``X-Forwarded-For``.
* A malformed header *from a trusted proxy* is a proxy misconfiguration; the request is answered
  with ``400 Bad Request`` naming the header, rather than guessing.

The result is applied with ``request.clone(remote=..., scheme=..., host=...)`` before the handler
runs, so ``request.remote``, ``request.scheme``, ``request.host``, ``request.url`` and
``request.secure`` all describe the client's view. Use :func:`setup` or put
:func:`proxy_middleware` first in ``Application(middlewares=[...])``.

aiohttp has no built-in for this (``aiohttp_remotes`` is the usual add-on); the chain rules here
follow RFC 7239 section 5 and the usual "rightmost untrusted address" practice.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from aioweb.framework.exceptions import HTTPBadRequest
from aioweb.framework.middlewares import middleware
from aioweb.framework.types import Handler, Middleware
from aioweb.http.forwarded import (
    ForwardedError,
    parse_forwarded,
    parse_forwarded_cached,
    parse_node,
    parse_xff_entry,
    valid_host,
    valid_proto,
)
from aioweb.http.lists import split_list

if TYPE_CHECKING:
    from aioweb.framework.app import Application
    from aioweb.framework.request import Request
    from aioweb.framework.response import StreamResponse

__all__ = (
    "ForwardedError",
    "Forwarding",
    "TrustedProxies",
    "parse_forwarded",
    "parse_node",
    "peer_trusted",
    "proxy_middleware",
    "resolve_forwarded",
    "resolve_x_forwarded",
    "setup",
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
TrustedSpec = str | IPAddress | IPNetwork
HeaderMode = Literal["x-forwarded", "forwarded"]


# --- the trusted set -----------------------------------------------------------------------


class TrustedProxies:
    """The set of proxy addresses whose forwarding headers are believed.

    Built from IP addresses and networks (strings such as ``"127.0.0.1"``, ``"10.0.0.0/8"``,
    ``"::1"``, ``"fd00::/8"``, or :mod:`ipaddress` objects), plus two words: ``"unix"`` trusts
    peers on a Unix socket (nginx ``proxy_pass http://unix:/run/app.sock``), and ``"*"`` trusts
    every peer and every hop, which is only safe when nothing but your proxy can reach the app
    and the proxy overwrites (not appends to) ``X-Forwarded-For``. A single string may list
    several entries separated by commas or spaces, which suits command lines and environment
    variables. IPv4-mapped IPv6 peers (``::ffff:10.0.0.1``) match IPv4 entries.
    """

    __slots__ = ("_check", "_networks", "trust_all", "trust_unix")

    def __init__(self, trusted: str | TrustedSpec | Iterable[TrustedSpec]) -> None:
        items: list[TrustedSpec]
        if isinstance(trusted, str):
            items = list(re.split(r"[\s,]+", trusted))
        elif isinstance(trusted, IPAddress | IPNetwork):
            items = [trusted]
        else:
            items = list(trusted)
        self.trust_all = False
        self.trust_unix = False
        networks: list[IPNetwork] = []
        for item in items:
            if isinstance(item, str):
                word = item.strip()
                if not word:
                    continue
                if word == "*":
                    self.trust_all = True
                    self.trust_unix = True
                    continue
                if word.lower() == "unix":
                    self.trust_unix = True
                    continue
                try:
                    networks.append(ipaddress.ip_network(word, strict=False))
                except ValueError:
                    raise ValueError(
                        f"trusted proxy {word!r} is not an IP address or network"
                    ) from None
            elif isinstance(item, ipaddress.IPv4Address | ipaddress.IPv6Address):
                networks.append(ipaddress.ip_network(item))
            elif isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
                networks.append(item)
            else:
                raise TypeError(f"trusted proxy must be an address or network, got {item!r}")
        self._networks = tuple(networks)
        # Membership is asked per request for the same few addresses: remember the answers.
        # The bound keeps a flood of distinct client addresses from growing it without limit.
        self._check = lru_cache(maxsize=4096)(self._lookup)

    def __bool__(self) -> bool:
        return self.trust_all or self.trust_unix or bool(self._networks)

    def __repr__(self) -> str:
        words = [str(n) for n in self._networks]
        if self.trust_unix and not self.trust_all:
            words.append("unix")
        if self.trust_all:
            words.append("*")
        return f"TrustedProxies({', '.join(words)!r})"

    def __contains__(self, address: object) -> bool:
        """Whether an IP address (a string as in ``request.remote``) is trusted. Names that are
        not IP addresses (``unknown``, ``_obfuscated``) are trusted only under ``"*"``."""
        if not isinstance(address, str):
            return False
        return self._check(address)

    def _lookup(self, address: str) -> bool:
        if self.trust_all:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            mapped = ip.ipv4_mapped
            if any(mapped in net for net in self._networks if net.version == 4):
                return True
        return any(ip in net for net in self._networks if net.version == ip.version)


# --- resolution ----------------------------------------------------------------------------


class Forwarding(NamedTuple):
    """What to change on the request; ``None`` fields stay as the connection says."""

    remote: str | None = None
    scheme: str | None = None
    host: str | None = None


_NOTHING = Forwarding()


def _forwarding(remote: str | None, proto: str | None, host: str | None, header: str) -> Forwarding:
    return Forwarding(
        remote,
        valid_proto(proto, header) if proto is not None else None,
        valid_host(host, header) if host is not None else None,
    )


def resolve_forwarded(values: Sequence[str], trusted: TrustedProxies) -> Forwarding:
    """The client's view from ``Forwarded`` header lines sent by a trusted peer.

    Elements are read from the newest (rightmost, last line) to the oldest. Each element was
    written by a proxy we trust so far and says who connected to it (``for``) and what scheme and
    ``Host`` it saw. While ``for`` names a trusted proxy, the walk goes on to the older element;
    the first element whose ``for`` is untrusted, obfuscated, ``unknown`` or absent describes the
    client, and its ``proto`` and ``host`` are the client's. If every element names a trusted
    proxy, the oldest one is used.

    Only what the walk reaches is parsed and validated: older lines, which the client may have
    written, cannot cause an error.
    """
    oldest: tuple[str | None, dict[str, str]] | None = None
    for line in reversed(values):
        for element in reversed(parse_forwarded_cached(line)):
            node = element.get("for")
            name = parse_node(node) if node is not None else None
            if name is None or name not in trusted:
                return _forwarding(name, element.get("proto"), element.get("host"), "Forwarded")
            oldest = (name, element)
    if oldest is None:
        return _NOTHING
    name, element = oldest
    return _forwarding(name, element.get("proto"), element.get("host"), "Forwarded")


def resolve_x_forwarded(
    xff: Sequence[str],
    proto: Sequence[str] = (),
    host: Sequence[str] = (),
    *,
    trusted: TrustedProxies,
) -> Forwarding:
    """The client's view from ``X-Forwarded-For`` / ``-Proto`` / ``-Host`` sent by a trusted peer.

    ``X-Forwarded-For`` is walked from the right like ``Forwarded``; entries left of the first
    untrusted address were written by the client and are neither used nor validated. Proxies
    append to ``X-Forwarded-For`` but usually *overwrite* ``-Proto`` and ``-Host``: when one of
    those has exactly one value per ``X-Forwarded-For`` entry, the value at the client's position
    is used; otherwise its last value (the one our peer wrote).
    """
    fors = split_list(xff)
    protos = split_list(proto)
    hosts = split_list(host)
    remote: str | None = None
    index = len(fors) - 1
    while index >= 0:
        remote = parse_xff_entry(fors[index])
        if remote not in trusted or index == 0:
            break
        index -= 1
    chosen_proto = protos[index] if fors and len(protos) == len(fors) else _last(protos)
    chosen_host = hosts[index] if fors and len(hosts) == len(fors) else _last(hosts)
    return _forwarding(remote, chosen_proto, chosen_host, "X-Forwarded")


def _last(values: list[str]) -> str | None:
    return values[-1] if values else None


def peer_trusted(transport: Any, trusted: TrustedProxies) -> bool:
    """Whether the connection's own peer (not what any header says) is a trusted proxy.

    A TCP peer is an ``(address, port, ...)`` tuple; a Unix-socket peer is a path string (often
    empty) or bytes, and is trusted only under the word ``"unix"``.
    """
    if transport is None:
        return False
    peer = transport.get_extra_info("peername")
    if isinstance(peer, tuple):
        return peer[0] in trusted
    return trusted.trust_unix and isinstance(peer, str | bytes)


def proxy_middleware(
    trusted: str | TrustedSpec | Iterable[TrustedSpec] | TrustedProxies,
    *,
    headers: HeaderMode = "x-forwarded",
) -> Middleware:
    """A middleware that applies forwarding headers sent by trusted proxies.

    ``headers`` chooses which header family the proxy sets: ``"x-forwarded"`` (default; what
    nginx, HAProxy and most load balancers send) or ``"forwarded"`` (RFC 7239). Only one family is
    read, on purpose: a proxy that sets one family passes the other through untouched from the
    client, so reading both would let a client forge the one the proxy does not set.

    Place it first in the middleware list so that every later middleware (logging, auth,
    sessions) sees the client's address.
    """
    if headers not in ("x-forwarded", "forwarded"):
        raise ValueError("headers must be 'x-forwarded' or 'forwarded'")
    proxies = trusted if isinstance(trusted, TrustedProxies) else TrustedProxies(trusted)
    use_forwarded = headers == "forwarded"

    def resolve(request_headers: Any) -> Forwarding:
        getall = request_headers.getall
        if use_forwarded:
            values = getall("Forwarded", ())
            return resolve_forwarded(values, proxies) if values else _NOTHING
        xff = getall("X-Forwarded-For", ())
        proto = getall("X-Forwarded-Proto", ())
        host = getall("X-Forwarded-Host", ())
        if not (xff or proto or host):
            return _NOTHING
        return resolve_x_forwarded(xff, proto, host, trusted=proxies)

    @middleware
    async def forwarded_middleware(request: Request, handler: Handler) -> StreamResponse:
        if not peer_trusted(request.transport, proxies):
            return await handler(request)
        try:
            found = resolve(request.headers)
        except ForwardedError as exc:
            raise HTTPBadRequest(text=f"400 Bad Request: {exc}\n") from None
        remote, scheme, host = found
        changes: dict[str, str] = {}
        if remote is not None:
            changes["remote"] = remote
        if scheme is not None:
            changes["scheme"] = scheme
        if host is not None:
            changes["host"] = host
        if not changes:
            return await handler(request)
        return await handler(request.clone(**changes))

    forwarded_middleware.trusted = proxies  # type: ignore[attr-defined]
    return forwarded_middleware


def setup(
    app: Application,
    trusted: str | TrustedSpec | Iterable[TrustedSpec] | TrustedProxies,
    *,
    headers: HeaderMode = "x-forwarded",
) -> None:
    """Install :func:`proxy_middleware` as the application's first middleware."""
    app.middlewares.insert(0, proxy_middleware(trusted, headers=headers))
