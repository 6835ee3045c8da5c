"""Small definitions that aiohttp's module paths expose and aioweb had no home for.

Each is written for aioweb (not taken from aiohttp) and kept here, in the compat integration,
because nothing in the framework needs them: header-name constants, the ``typedefs`` aliases,
``reify``, ``ChainMapProxy``, ``web_log.KeyMethod``, and abstract bases for aioweb's router and
match info (registered as virtual bases, so ``isinstance`` checks written against
``aiohttp.abc`` hold for aioweb's objects without changing their classes).
"""

from __future__ import annotations

import json
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy, istr
from yarl import URL

from aioweb.framework.routing.dispatcher import UrlDispatcher
from aioweb.framework.routing.match_info import UrlMappingMatchInfo
from aioweb.framework.types import Handler, Middleware
from aioweb.server.log import internal_logger, websocket_logger


def _words(text: str) -> list[str]:
    return text.split()


# --- hdrs -----------------------------------------------------------------------------------

# Field names as registered (RFC 9110 and the IANA HTTP Field Name Registry) plus the common
# de-facto ones server code reads; each becomes a constant NAME_LIKE_THIS = istr("Name-Like-This").
_FIELDS = _words("""
Accept Accept-CH Accept-Charset Accept-Encoding Accept-Language Accept-Ranges
Access-Control-Allow-Credentials Access-Control-Allow-Headers Access-Control-Allow-Methods
Access-Control-Allow-Origin Access-Control-Expose-Headers Access-Control-Max-Age
Access-Control-Request-Headers Access-Control-Request-Method Age Allow Alt-Svc Alt-Used
Authentication-Info Authorization CDN-Cache-Control CDN-Loop Cache-Control Cache-Status
Clear-Site-Data Connection Content-Digest Content-Disposition Content-Encoding Content-ID
Content-Language Content-Length Content-Location Content-MD5 Content-Range
Content-Security-Policy Content-Security-Policy-Report-Only Content-Transfer-Encoding
Content-Type Cookie Cross-Origin-Embedder-Policy Cross-Origin-Opener-Policy
Cross-Origin-Resource-Policy Date Destination Digest Early-Data Etag Expect Expires Forwarded
From Host If-Match If-Modified-Since If-None-Match If-Range If-Unmodified-Since Keep-Alive
Last-Event-ID Last-Modified Link Location Max-Forwards NEL Origin Origin-Agent-Cluster
Permissions-Policy Pragma Priority Proxy-Authenticate Proxy-Authentication-Info
Proxy-Authorization Range Referer Referrer-Policy Report-To Reporting-Endpoints Repr-Digest
Retry-After Sec-CH-UA Sec-CH-UA-Mobile Sec-CH-UA-Platform Sec-Fetch-Dest Sec-Fetch-Mode
Sec-Fetch-Site Sec-Fetch-User Sec-GPC Sec-Purpose Sec-WebSocket-Accept Sec-WebSocket-Extensions
Sec-WebSocket-Key Sec-WebSocket-Key1 Sec-WebSocket-Protocol Sec-WebSocket-Version Server
Server-Timing Set-Cookie Strict-Transport-Security TE Timing-Allow-Origin Trailer
Transfer-Encoding URI Upgrade Upgrade-Insecure-Requests User-Agent Vary Via WWW-Authenticate
Want-Content-Digest Want-Digest Want-Repr-Digest Warning X-Content-Type-Options
X-Correlation-ID X-Forwarded-For X-Forwarded-Host X-Forwarded-Port X-Forwarded-Proto
X-Frame-Options X-Powered-By X-RateLimit-Limit X-RateLimit-Remaining X-RateLimit-Reset
X-Real-IP X-Request-ID X-Requested-With X-XSS-Protection baggage traceparent tracestate
""")

_METHODS = ("CONNECT", "HEAD", "GET", "DELETE", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")


def hdrs_names() -> dict[str, object]:
    """The ``hdrs`` module's constants: one per header field, plus the ``METH_*`` names."""
    names: dict[str, object] = {f.upper().replace("-", "_"): istr(f) for f in _FIELDS}
    names.update({f"METH_{m}": m for m in _METHODS})
    names["METH_ANY"] = "*"
    names["METH_ALL"] = frozenset(_METHODS)
    return names


# --- typedefs -------------------------------------------------------------------------------

Byteish = bytes | bytearray | memoryview
JSONEncoder = Callable[[Any], str]
JSONBytesEncoder = Callable[[Any], bytes]
JSONDecoder = Callable[[str], Any]
LooseHeaders = (
    Mapping[str, str]
    | Mapping[istr, str]
    | CIMultiDict[str]
    | CIMultiDictProxy[str]
    | Iterable[tuple[str | istr, str]]
)
RawHeaders = tuple[tuple[bytes, bytes], ...]
StrOrURL = str | URL
LooseCookiesMappings = Mapping[str, Any]
LooseCookiesIterables = Iterable[tuple[str, Any]]
LooseCookies = LooseCookiesMappings | LooseCookiesIterables
PathLike = str | os.PathLike[str]
Query = None | str | Mapping[str, Any] | Iterable[tuple[str, Any]]
DEFAULT_JSON_ENCODER: JSONEncoder = json.dumps
DEFAULT_JSON_DECODER: JSONDecoder = json.loads

TYPEDEFS: dict[str, object] = {
    "Byteish": Byteish,
    "JSONEncoder": JSONEncoder,
    "JSONBytesEncoder": JSONBytesEncoder,
    "JSONDecoder": JSONDecoder,
    "LooseHeaders": LooseHeaders,
    "RawHeaders": RawHeaders,
    "StrOrURL": StrOrURL,
    "LooseCookiesMappings": LooseCookiesMappings,
    "LooseCookiesIterables": LooseCookiesIterables,
    "LooseCookies": LooseCookies,
    "PathLike": PathLike,
    "Query": Query,
    "DEFAULT_JSON_ENCODER": DEFAULT_JSON_ENCODER,
    "DEFAULT_JSON_DECODER": DEFAULT_JSON_DECODER,
    "Handler": Handler,
    "Middleware": Middleware,
    "CIMultiDict": CIMultiDict,
    "CIMultiDictProxy": CIMultiDictProxy,
    "MultiDict": MultiDict,
    "MultiDictProxy": MultiDictProxy,
    "istr": istr,
    "URL": URL,
}

# --- helpers, web_log, log --------------------------------------------------------------------

T = TypeVar("T")


class reify(Generic[T]):
    """A read-only property computed once per instance and kept in its ``__dict__``.

    Unlike :class:`functools.cached_property`, assigning to it raises, as aiohttp's does: code
    that relies on the value never changing after first use keeps that guarantee.
    """

    def __init__(self, wrapped: Callable[[Any], T]) -> None:
        self.wrapped = wrapped
        self.name = wrapped.__name__
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        cache = instance.__dict__
        if self.name not in cache:
            cache[self.name] = self.wrapped(instance)
        return cache[self.name]

    def __set__(self, instance: Any, value: Any) -> None:
        raise AttributeError("reified property is read-only")


class ChainMapProxy(Mapping[Any, Any]):
    """A read-only view of several mappings, the first holding a key wins (``request.config_dict``
    in aiohttp is one: a sub-application's state in front of its parents')."""

    __slots__ = ("_maps",)

    def __init__(self, maps: Iterable[Mapping[Any, Any]]) -> None:
        self._maps = tuple(maps)

    def __getitem__(self, key: Any) -> Any:
        for mapping in self._maps:
            if key in mapping:
                return mapping[key]
        raise KeyError(key)

    def __len__(self) -> int:
        return len(set().union(*self._maps))

    def __iter__(self) -> Iterator[Any]:
        seen: dict[Any, None] = {}
        for mapping in reversed(self._maps):
            seen.update(dict.fromkeys(mapping))
        return iter(seen)

    def __repr__(self) -> str:
        return f"<ChainMapProxy({', '.join(map(repr, self._maps))})>"


class KeyMethod(NamedTuple):
    """An access-log format directive's key and the method that renders it."""

    key: str
    method: Callable[..., str]


LOGGERS: dict[str, logging.Logger] = {
    "ws_logger": websocket_logger,
    "internal_logger": internal_logger,
    "client_logger": logging.getLogger("aiohttp.client"),  # the client is aiohttp's
}

# --- abc: virtual bases for aioweb's router and match info -------------------------------------


class AbstractRouter(ABC):
    """What an application's router is: something that resolves a request to match info."""

    @abstractmethod
    def resolve(self, request: Any) -> Awaitable[Any]:
        """The match info for ``request``."""


class AbstractMatchInfo(ABC):
    """What resolving a request gives: the handler, the route, and the apps it went through."""

    @property
    @abstractmethod
    def handler(self) -> Callable[..., Awaitable[Any]]:
        """The handler to call."""


AbstractRouter.register(UrlDispatcher)
AbstractMatchInfo.register(UrlMappingMatchInfo)
