"""The request objects handlers receive: ``BaseRequest`` (server level) and ``Request`` (with
routing and the application).

Everything derived from the head (URL, query, headers, cookies) is computed on first use:
a handler that never looks at its headers never pays for decoding them.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections import ChainMap
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Self

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from aioweb._extensions import frames_per_call
from aioweb.framework import request_fields
from aioweb.framework.body_errors import invalid_json, undecodable_body
from aioweb.framework.decoded_body import decoding_payload
from aioweb.framework.exceptions import HTTPRequestEntityTooLarge
from aioweb.framework.helpers import (
    VERSIONS,
    DictStorage,
    HttpVersion,
    RequestKey,
    parse_mimetype_params,
    sentinel,
)
from aioweb.framework.multipart import MultipartReader
from aioweb.framework.multipart_form import FileField, read_form
from aioweb.framework.request_fields import (
    DEFAULT_CLIENT_MAX_FIELDS,
    DEFAULT_CLIENT_MAX_SIZE,
    RequestFields,
    copy_request,
)
from aioweb.framework.request_message import replace_head, socket_host
from aioweb.framework.request_preconditions import PreconditionsMixin
from aioweb.framework.request_writer import RequestWriter
from aioweb.framework.urlencoded_form import parse_urlencoded
from aioweb.http.cookies import parse_cookie_header
from aioweb.http.errors import HttpProtocolError
from aioweb.http.etag import ETag
from aioweb.http.forwarded import parse_forwarded_lenient
from aioweb.http.parser import RequestHead
from aioweb.http.target import split_absolute_form
from aioweb.server.log import web_logger
from aioweb.server.streams import EMPTY_PAYLOAD, StreamReader

if TYPE_CHECKING:
    from aioweb.framework.app import Application
    from aioweb.framework.routing import UrlMappingMatchInfo

__all__ = [
    "DEFAULT_CLIENT_MAX_FIELDS",  # (defined with the fields; app.py imports them from here)
    "DEFAULT_CLIENT_MAX_SIZE",
    "BaseRequest",
    "ETag",
    "FileField",
    "Request",
]

request_fields.decoding_payload = decoding_payload  # (see there: an import cycle otherwise)

# Frames a call into this module adds (0 when compiled): warnings count their stacklevel by it.
_OWN_FRAMES = frames_per_call(__file__)

POST_METHODS = frozenset({"PATCH", "POST", "PUT", "TRACE", "DELETE"})


def _absolute_form(target: bytes) -> tuple[str, str, str]:
    """``(scheme, authority, path_and_query)`` of a target that is not origin-form.

    The server's parser has refused invalid ones with a 400; a request built another way
    (``make_mocked_request``, CONNECT's authority-form) gets an empty authority and ``/``.
    """
    try:
        return split_absolute_form(target)
    except HttpProtocolError:
        return ("", "", "/")


class BaseRequest(RequestFields, DictStorage, PreconditionsMixin):
    """An HTTP request as the low-level server hands it to its handler.

    Its fields and constructor are :class:`RequestFields`'s; the conditional and range fields
    (``if_match``, ``http_range``...) come from the mixin.
    """

    _key_type = RequestKey  # typed key of ``request[key]`` storage (others warn)

    # -- the request line --------------------------------------------------------------

    @property
    def method(self) -> str:
        return self._method

    @property
    def version(self) -> HttpVersion:
        return VERSIONS.get(self._head.version) or HttpVersion(
            *map(int, self._head.version.split("."))
        )

    @property
    def message(self) -> RequestHead:
        """Deprecated (as in aiohttp): the parsed head; use the request's own properties."""
        warnings.warn(
            "Request.message is deprecated", DeprecationWarning, stacklevel=1 + _OWN_FRAMES
        )
        return self._head

    @property
    def _message(self) -> RequestHead:
        return self._head

    def _split_target(self) -> tuple[str, str]:
        """The raw path and raw query of the request target, from any of its forms."""
        cached: tuple[str, str] | None = self._cache.get("target")
        if cached is not None:
            return cached
        raw = self._head.url
        if raw[:1] == b"/" or raw == b"*":
            target = raw.decode("utf-8", "surrogateescape")
        else:
            # absolute-form (RFC 9112 §3.2.2): keep its path and query, routed as usual
            target = _absolute_form(raw)[2]
        path, _, query = target.partition("?")
        path = path.partition("#")[0]
        result = (path, query.partition("#")[0])
        self._cache["target"] = result
        return result

    @property
    def raw_path(self) -> str:
        """The request target as sent: still percent-encoded, with the query string."""
        path, query = self._split_target()
        return f"{path}?{query}" if query else path

    @property
    def rel_url(self) -> URL:
        url = self._rel_url
        if url is None:
            path, query = self._split_target()
            url = self._rel_url = URL.build(path=path, query_string=query, encoded=True)
        return url

    @property
    def path(self) -> str:
        """The path, percent-decoded."""
        path = self._head.simple_path  # nothing to decode (found by the parser)
        if path is not None:
            return path
        path = self._cache.get("path")
        if path is None:
            raw, _ = self._split_target()
            path = raw if "%" not in raw else self.rel_url.path
            self._cache["path"] = path
        return path

    @property
    def _routing_path(self) -> str:
        """The path the router matches: decoded, except that ``%2F`` and ``%25`` stay encoded,
        so an encoded slash can never split a path segment in two."""
        path = self._head.simple_path  # the common case, found by the parser
        if path is not None:
            return path
        raw, _ = self._split_target()
        if "%" not in raw:
            return raw
        return self.rel_url.path_safe

    @property
    def path_qs(self) -> str:
        return str(self.rel_url)

    @property
    def query_string(self) -> str:
        return self.rel_url.query_string

    @property
    def query(self) -> MultiDictProxy[str]:
        query = self._cache.get("query")
        if query is None:
            _, raw_query = self._split_target()
            query = self.rel_url.query if raw_query else MultiDictProxy(MultiDict())
            self._cache["query"] = query
        return query

    @property
    def GET(self) -> MultiDictProxy[str]:
        return self.query

    @property
    def url(self) -> URL:
        url = self._cache.get("url")
        if url is None:
            try:
                base = URL.build(scheme=self.scheme, authority=self.host)
            except (ValueError, TypeError):
                base = URL.build(scheme=self.scheme, host="localhost")
            url = self._cache["url"] = base.join(self.rel_url)
        return url

    # -- connection ----------------------------------------------------------------------

    @property
    def transport(self) -> asyncio.Transport | None:
        return self._protocol.transport if self._protocol is not None else None

    @property
    def protocol(self) -> Any:
        return self._protocol

    @property
    def writer(self) -> Any:  # (a RequestWriter: raw bytes ahead of the response, 100 Continue)
        return self._writer if self._writer is not None else RequestWriter(self._protocol)

    @property
    def task(self) -> asyncio.Task[Any] | None:
        if self._task is not None:
            return self._task
        return self._protocol.task if self._protocol is not None else None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """Deprecated (as in aiohttp): use ``asyncio.get_running_loop()``."""
        warnings.warn(
            "request.loop property is deprecated", DeprecationWarning, stacklevel=1 + _OWN_FRAMES
        )
        return self._loop or asyncio.get_event_loop()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        transport = self.transport
        if transport is None:
            return default
        # (the name alone when there is no default: aiohttp's tests hand in mocked transports
        # whose get_extra_info takes one argument)
        if default is None:
            return transport.get_extra_info(name)
        return transport.get_extra_info(name, default)

    @property
    def keep_alive(self) -> bool:
        return self._head.keep_alive and not (self._protocol is not None and self._protocol.closing)

    @property
    def scheme(self) -> str:
        if self._scheme is not None:
            return self._scheme
        return "https" if self.get_extra_info("sslcontext") else "http"

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    @property
    def host(self) -> str:
        """The host (and port) the request is for.

        RFC 9112 §3.2.2: a request whose target is in absolute-form
        (``GET http://a.example/x``) is for the target's authority, whatever ``Host`` says
        (the parser has checked that authority).  Otherwise ``Host``; without one (HTTP/1.0),
        the local address the request came in on, as aiohttp 3.14 does: not this machine's
        name, whose reverse DNS lookup could block the event loop for seconds.
        """
        if self._host is not None:
            return self._host
        raw = self._head.url
        if raw[:1] != b"/" and raw != b"*" and self._method != "CONNECT":
            authority = _absolute_form(raw)[1]
            if authority:
                return authority
        host = self.headers.get("Host")
        return host if host is not None else socket_host(self._protocol, self.transport)

    @property
    def remote(self) -> str | None:
        if self._remote is not None:
            return self._remote
        peername = self.get_extra_info("peername")
        if peername is None and self._protocol is not None:
            # The connection is gone (a long-lived response logged after its client left):
            # the protocol kept the address it had when the client connected.
            peername = getattr(self._protocol, "peername", None)
        if isinstance(peername, (list, tuple)):
            return str(peername[0])
        return str(peername) if peername is not None else None

    @property
    def forwarded(self) -> tuple[Mapping[str, str], ...]:
        """The RFC 7239 ``Forwarded`` header, parsed (untrusted: see ``aioweb.proxy``)."""
        return parse_forwarded_lenient(self.headers.getall("Forwarded", []))

    # -- headers -------------------------------------------------------------------------

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        headers = self._cache.get("headers")
        if headers is None:
            headers = CIMultiDictProxy(
                CIMultiDict(
                    [
                        (n.decode("utf-8", "surrogateescape"), v.decode("utf-8", "surrogateescape"))
                        for n, v in self._head.headers
                    ]
                )
            )
            self._cache["headers"] = headers
        return headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        return tuple(self._head.headers)

    @property
    def cookies(self) -> Mapping[str, str]:
        cookies = self._cache.get("cookies")
        if cookies is None:
            raw = "; ".join(self.headers.getall("Cookie", ())) if self._head.headers else ""
            rejected: list[str] = []
            cookies = self._cache["cookies"] = MappingProxyType(
                parse_cookie_header(raw, rejected) if raw else {}
            )
            if rejected:  # once per request, however many: a header can hold thousands
                web_logger.debug("Cannot load cookie. Illegal cookie names: %r", rejected[:10])
        return cookies

    def _content_type_params(self) -> tuple[str, dict[str, str]]:
        parsed = self._cache.get("ctype")
        if parsed is None:
            raw = self.headers.get("Content-Type")
            parsed = parse_mimetype_params(raw) if raw else ("application/octet-stream", {})
            self._cache["ctype"] = parsed
        return parsed

    @property
    def content_type(self) -> str:
        return self._content_type_params()[0]

    @property
    def charset(self) -> str | None:
        return self._content_type_params()[1].get("charset")

    @property
    def content_length(self) -> int | None:
        return self._head.content_length

    # -- body ----------------------------------------------------------------------------

    @property
    def content(self) -> StreamReader:
        return self._payload

    @property
    def body_exists(self) -> bool:
        return self._payload is not EMPTY_PAYLOAD

    @property
    def has_body(self) -> bool:
        warnings.warn(
            "Deprecated, use .can_read_body #2005", DeprecationWarning, stacklevel=1 + _OWN_FRAMES
        )
        return not self._payload.at_eof()

    @property
    def can_read_body(self) -> bool:
        return not self._payload.at_eof()

    @property
    def client_max_size(self) -> int:
        return self._client_max_size

    @property
    def client_max_fields(self) -> int:
        """Form fields ``post()`` accepts at most (413 past it); 0 or less: no limit."""
        return self._client_max_fields

    def _too_large(self, actual: int) -> Exception:
        return HTTPRequestEntityTooLarge.for_limit(self._client_max_size, actual)

    async def read(self) -> bytes:
        """The whole body; ``413`` past ``client_max_size`` (checked before reading when
        ``Content-Length`` already tells)."""
        if self._read_bytes is None:
            payload = self._payload
            if payload is EMPTY_PAYLOAD:
                self._read_bytes = b""
                return b""
            limit = self._client_max_size
            declared = self._head.content_length
            if limit and declared is not None and declared > limit:
                raise self._too_large(declared)
            # Chunks are joined once at the end (one copy of the body, none for a body that
            # came in one piece); the limit is checked as they arrive.
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk = await payload.readany()
                if not chunk:
                    break
                size += len(chunk)
                if limit and size > limit:
                    raise self._too_large(size)
                chunks.append(chunk)
            self._read_bytes = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return self._read_bytes

    async def text(self) -> str:
        """The body decoded with the request's charset (UTF-8 when none is given).

        A charset nobody knows or bytes that do not decode are the client's fault: a
        ``400 Bad Request`` (still a ``LookupError``/``ValueError``, what aiohttp raises),
        not a 500 logged as a server error.
        """
        body = await self.read()
        try:
            return body.decode(self.charset or "utf-8")
        except (LookupError, ValueError) as exc:
            raise undecodable_body(exc) from exc

    async def json(self, *, loads: Callable[[str], Any] = json.loads) -> Any:
        """The body decoded as JSON; a body that is not JSON is a ``400 Bad Request``."""
        body = await self.text()
        try:
            return loads(body)
        except (ValueError, RecursionError) as exc:  # RecursionError: "[[[[..." nesting
            raise invalid_json(exc) from exc  # (also a JSONDecodeError, as aiohttp's)

    async def post(self) -> MultiDictProxy[Any]:
        """Form fields of a url-encoded or multipart body (empty for other methods/types)."""
        if self._post is not None:
            return self._post
        if self._method not in POST_METHODS:
            self._post = MultiDictProxy(MultiDict())
            return self._post
        ctype = self.content_type
        if ctype == "multipart/form-data":
            self._post = await read_form(self)
            return self._post
        if ctype not in ("", "application/x-www-form-urlencoded"):
            self._post = MultiDictProxy(MultiDict())
            return self._post
        body = await self.read()
        self._post = parse_urlencoded(body, self.charset or "utf-8", self._client_max_fields)
        return self._post

    async def multipart(self) -> Any:
        """A streaming reader over a ``multipart/*`` body.

        Its errors are 400s (``MultipartError``, also a ``ValueError``) and, for a part whose
        Content-Encoding inflates past ``client_max_size``, 413s, as from ``post()``.
        """
        reader = MultipartReader(self.headers, self._payload)
        reader._request_max_size = self._client_max_size
        return reader

    async def release(self) -> None:
        """Read and discard whatever is left of the body."""
        while not self._payload.at_eof():
            if not await self._payload.readany():
                break

    # -- copies --------------------------------------------------------------------------

    def clone(
        self,
        *,
        method: str | Any = sentinel,
        rel_url: str | URL | Any = sentinel,
        headers: Any = sentinel,
        scheme: str | Any = sentinel,
        host: str | Any = sentinel,
        remote: str | Any = sentinel,
        client_max_size: int | Any = sentinel,
        client_max_fields: int | Any = sentinel,
    ) -> Self:
        """A copy with some of the request line, headers or connection facts replaced.

        Its storage (``request[key]``) starts as a copy of this one's, as in aiohttp. Once the
        body has been read the copy could not read it again: ``RuntimeError``, as in aiohttp.
        """
        if self._read_bytes:
            raise RuntimeError("Cannot clone request after reading its content")
        given = {"_scheme": scheme, "_host": host, "_remote": remote}
        given |= {"_client_max_size": client_max_size, "_client_max_fields": client_max_fields}
        head = replace_head(self._head, method, rel_url, headers)
        return copy_request(self, head, headers is sentinel, given)

    def __repr__(self) -> str:
        # non-ASCII shown escaped (as aiohttp's): a repr in a log stays one ASCII line
        path = self.path.encode("ascii", "backslashreplace").decode("ascii")
        return f"<{self.__class__.__name__} {self._method} {path} >"


class Request(BaseRequest):
    """A request routed inside an :class:`~aioweb.framework.app.Application`."""

    @property
    def match_info(self) -> UrlMappingMatchInfo:
        """The route's variable parts (``{name}``), plus the route and handler found."""
        return self._match_info  # type: ignore[return-value]

    @property
    def app(self) -> Application:
        """The application whose route handles this request (a sub-app inside its handler)."""
        match_info = self._match_info
        if match_info is not None and match_info.current_app is not None:
            return match_info.current_app
        return self._app  # type: ignore[return-value]

    @property
    def config_dict(self) -> Any:
        """Read-only chained view of the storage of the apps up to ``self.app``, innermost first."""
        apps = self._match_info.apps if self._match_info is not None else (self._app,)
        end = apps.index(self.app) + 1 if self.app in apps else len(apps)
        return ChainMap(*reversed([app for app in apps[:end] if app is not None]))

    async def _send_prepare_signals(self, response: Any) -> None:
        match_info = self._match_info
        apps = match_info.apps if match_info is not None else (self._app,)
        for app in apps:
            if app is not None and app.on_response_prepare:
                await app.on_response_prepare.send(self, response)
