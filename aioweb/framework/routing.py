"""URL dispatching: resources, routes, the router, route tables and match info.

Resolution: every resource has an *index key*, the literal path it starts with (a plain
resource's whole path; a dynamic one's path up to the segment holding its first variable; a
prefix resource's prefix).  The router looks the request path up in that index, then each
parent path in turn, so the most specific literal path wins and a route registered after 50
others costs one or two dict look-ups, not 50 regex tests.  Within one key, resources are
tried in the order they were added.  Domain-matched sub-applications are tried last.
"""

from __future__ import annotations

import abc
import asyncio
import inspect
import keyword
import re
from collections.abc import (
    Awaitable,
    Callable,
    Container,
    Iterable,
    Iterator,
    Mapping,
    Sized,
)
from collections.abc import Set as AbstractSet
from functools import wraps
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from yarl import URL

from aioweb.framework.exceptions import HTTPExpectationFailed, HTTPMethodNotAllowed, HTTPNotFound
from aioweb.framework.views import AbstractView

if TYPE_CHECKING:
    from aioweb.framework.app import Application
    from aioweb.framework.request import Request

__all__ = [
    "AbstractResource",
    "AbstractRoute",
    "AbstractRouteDef",
    "Domain",
    "DynamicResource",
    "MaskDomain",
    "MatchedSubAppResource",
    "PlainResource",
    "PrefixResource",
    "PrefixedSubAppResource",
    "Resource",
    "ResourceRoute",
    "RouteDef",
    "RouteTableDef",
    "StaticDef",
    "SystemRoute",
    "UrlDispatcher",
    "UrlMappingMatchInfo",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "static",
    "view",
]

Handler = Callable[["Request"], Awaitable[Any]]

METH_ANY = "*"
METH_ALL = frozenset(
    {"CONNECT", "HEAD", "GET", "DELETE", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)
_METHOD_RE = re.compile(r"^[0-9A-Za-z!#$%&'*+\-.^_`|~]+$")
_NAME_SPLIT_RE = re.compile(r"[.:-]")


async def _default_expect_handler(request: Request) -> None:
    """``Expect: 100-continue`` is answered when the handler first waits for the body;
    any other expectation gets ``417`` (RFC 9110 §10.1.1).  The value is echoed escaped to
    ASCII: a non-ASCII byte in it (kept as a lone surrogate) cannot be encoded otherwise."""
    expect = request.headers.get("Expect", "")
    if request.version >= (1, 1):
        if expect.lower() == "100-continue":
            request._protocol.expect_continue(request.content)
        else:
            shown = expect.encode("ascii", "backslashreplace").decode("ascii")
            raise HTTPExpectationFailed(text=f"Unknown Expect: {shown}")


def _wrap_handler(handler: Any) -> Handler:
    """Accept coroutine functions, ``View`` classes and (legacy) plain callables."""
    if inspect.isclass(handler) and issubclass(handler, AbstractView):
        return handler
    if asyncio.iscoroutinefunction(handler):
        return handler
    if not callable(handler):
        raise TypeError(f"Only async functions are allowed as web-handlers, got {handler!r}")

    @wraps(handler)
    async def legacy_handler(request: Request) -> Any:
        result = handler(request)
        if inspect.isawaitable(result):
            result = await result
        return result

    return legacy_handler


# "No allowed methods to report": shared, as resolution runs for every request.
_NO_METHODS: frozenset[str] = frozenset()
_PLAIN_HITS_MAX = 4096  # see UrlDispatcher._plain_hits


class AbstractRoute(abc.ABC):
    """One (method, handler) pair of a resource."""

    def __init__(
        self,
        method: str,
        handler: Any,
        *,
        expect_handler: Callable[[Request], Awaitable[Any]] | None = None,
        resource: AbstractResource | None = None,
    ) -> None:
        method = method.upper()
        if method != METH_ANY and not _METHOD_RE.match(method):
            raise ValueError(f"{method} is not allowed HTTP method")
        if expect_handler is None:
            expect_handler = _default_expect_handler
        elif not asyncio.iscoroutinefunction(expect_handler):
            raise AssertionError(f"Coroutine is expected, got {expect_handler!r}")
        self._method = method
        self._original_handler = handler
        self._handler = _wrap_handler(handler)
        self._expect_handler = expect_handler
        self._resource = resource

    @property
    def method(self) -> str:
        return self._method

    @property
    def handler(self) -> Handler:
        return self._handler

    @property
    @abc.abstractmethod
    def name(self) -> str | None: ...

    @property
    def resource(self) -> AbstractResource | None:
        return self._resource

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    def url_for(self, *args: str, **kwargs: str) -> URL: ...

    async def handle_expect_header(self, request: Request) -> Any:
        return await self._expect_handler(request)


class ResourceRoute(AbstractRoute):
    """A route that belongs to a resource."""

    def __repr__(self) -> str:
        return f"<ResourceRoute [{self.method}] {self._resource} -> {self.handler!r}"

    @property
    def name(self) -> str | None:
        return self._resource.name if self._resource is not None else None

    def url_for(self, *args: str, **kwargs: str) -> URL:
        assert self._resource is not None
        return self._resource.url_for(*args, **kwargs)

    def get_info(self) -> dict[str, Any]:
        assert self._resource is not None
        return self._resource.get_info()


class SystemRoute(AbstractRoute):
    """The pseudo-route of a request no resource matched: its handler raises 404/405."""

    def __init__(self, http_exception: Exception) -> None:
        super().__init__(METH_ANY, self._handle)
        self._http_exception = http_exception

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError(".url_for() is not allowed for SystemRoute")

    @property
    def name(self) -> str | None:
        return None

    def get_info(self) -> dict[str, Any]:
        return {"http_exception": self._http_exception}

    async def _handle(self, request: Request) -> Any:
        raise self._http_exception

    @property
    def status(self) -> int:
        return self._http_exception.status  # type: ignore[attr-defined]

    @property
    def reason(self) -> str:
        return self._http_exception.reason  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"<SystemRoute {self.status}: {self.reason}>"


class UrlMappingMatchInfo(dict[str, str]):
    """The variable parts of the matched path, plus what the router found for them."""

    __slots__ = ("_apps", "_current_app", "_frozen", "_route")

    def __init__(self, match_dict: dict[str, str], route: AbstractRoute) -> None:
        if match_dict:  # (a plain route matches nothing: no dict.__init__ call per request)
            dict.update(self, match_dict)
        self._route = route
        self._apps: list[Application] = []
        self._current_app: Application | None = None
        self._frozen = False

    @property
    def handler(self) -> Handler:
        return self._route.handler

    @property
    def route(self) -> AbstractRoute:
        return self._route

    @property
    def expect_handler(self) -> Callable[[Request], Awaitable[Any]]:
        return self._route.handle_expect_header

    @property
    def http_exception(self) -> Exception | None:
        return None

    def get_info(self) -> dict[str, Any]:
        return self._route.get_info()

    @property
    def apps(self) -> tuple[Application, ...]:
        return tuple(self._apps)

    def add_app(self, app: Application) -> None:
        if self._frozen:
            raise RuntimeError("Cannot change apps stack after .freeze() call")
        if self._current_app is None:
            self._current_app = app
        self._apps.insert(0, app)

    @property
    def current_app(self) -> Application | None:
        return self._current_app

    @current_app.setter
    def current_app(self, app: Application) -> None:
        self._current_app = app

    def freeze(self) -> None:
        self._frozen = True

    def __repr__(self) -> str:
        return f"<MatchInfo {super().__repr__()}: {self._route}>"


class MatchInfoError(UrlMappingMatchInfo):
    __slots__ = ("_exception",)

    def __init__(self, http_exception: Exception) -> None:
        self._exception = http_exception
        super().__init__({}, SystemRoute(http_exception))

    @property
    def http_exception(self) -> Exception:
        return self._exception

    def __repr__(self) -> str:
        return f"<MatchInfoError {self._exception.status}: {self._exception.reason}>"  # type: ignore[attr-defined]


# -- resources -------------------------------------------------------------------------


def _quote_part(value: Any) -> str:
    return quote(str(value), safe="@:!$&'()*+,;=-._~")


def _legacy_url(url: URL, query: Any) -> str:
    """``resource.url(query=...)``: the 0.17-era API returning a string."""
    if query is None:
        return str(url)
    if isinstance(query, str):
        return str(url) + (query if query.startswith("?") else "?" + query)
    return str(url.with_query(query))


class AbstractResource(Sized, Iterable["AbstractRoute"]):
    """A path (pattern) with routes for some methods."""

    def __init__(self, *, name: str | None = None) -> None:
        self._name = name

    @property
    def name(self) -> str | None:
        return self._name

    @property
    @abc.abstractmethod
    def canonical(self) -> str: ...

    @property
    @abc.abstractmethod
    def index_key(self) -> str:
        """The literal path prefix under which the router indexes this resource."""

    @abc.abstractmethod
    def url_for(self, **kwargs: Any) -> URL: ...

    @abc.abstractmethod
    def add_prefix(self, prefix: str) -> None: ...

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    def raw_match(self, path: str) -> bool: ...

    @abc.abstractmethod
    def _resolve(
        self, request: Request, path: str, method: str
    ) -> tuple[UrlMappingMatchInfo | None, AbstractSet[str]]:
        """Match ``path`` (routing form) and ``method``: (match info | None, allowed methods)."""

    async def resolve(self, request: Request) -> tuple[UrlMappingMatchInfo | None, set[str]]:
        match_info, allowed = self._resolve(request, request._routing_path, request.method)
        return match_info, set(allowed)  # the caller's own set, as in aiohttp

    def freeze(self) -> None:
        pass


class Resource(AbstractResource):
    """A resource holding routes keyed by method."""

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._routes: dict[str, ResourceRoute] = {}
        self._any_route: ResourceRoute | None = None
        self._allowed: set[str] = set()
        # HEAD is answered by the GET route unless ``add_get(..., allow_head=False)`` said no.
        self._auto_head = True

    def add_route(
        self,
        method: str,
        handler: Any,
        *,
        expect_handler: Callable[[Request], Awaitable[Any]] | None = None,
    ) -> ResourceRoute:
        method = method.upper()
        if method in self._routes or (method == METH_ANY and self._any_route is not None):
            raise RuntimeError(
                f"Added route will never be executed, method {method} is already registered"
            )
        route_obj = ResourceRoute(method, handler, expect_handler=expect_handler, resource=self)
        self.register_route(route_obj)
        return route_obj

    def register_route(self, route_obj: ResourceRoute) -> None:
        assert isinstance(route_obj, ResourceRoute), (
            f"Instance of Route class is required, got {route_obj!r}"
        )
        if route_obj.method == METH_ANY:
            self._any_route = route_obj
        else:
            self._routes[route_obj.method] = route_obj
            self._allowed.add(route_obj.method)

    def _match_route(self, method: str) -> ResourceRoute | None:
        route_obj = self._routes.get(method)
        if route_obj is not None:
            return route_obj
        if self._any_route is not None:
            return self._any_route
        if method == "HEAD" and self._auto_head:  # RFC 9110 §9.3.2: GET without the body
            return self._routes.get("GET")
        return None

    @property
    def allowed_methods(self) -> set[str]:
        allowed = set(self._allowed)
        if "GET" in allowed and self._auto_head:
            allowed.add("HEAD")
        return allowed

    def _match(self, path: str) -> dict[str, str] | None:
        raise NotImplementedError

    def _resolve(
        self, request: Request, path: str, method: str
    ) -> tuple[UrlMappingMatchInfo | None, AbstractSet[str]]:
        match_dict = self._match(path)
        if match_dict is None:
            return None, _NO_METHODS
        route_obj = self._routes.get(method) or self._match_route(method)
        if route_obj is not None:
            return UrlMappingMatchInfo(match_dict, route_obj), _NO_METHODS
        return None, self.allowed_methods

    def __len__(self) -> int:
        return len(self._routes) + (self._any_route is not None)

    def __iter__(self) -> Iterator[AbstractRoute]:
        routes: list[AbstractRoute] = list(self._routes.values())
        if self._any_route is not None:
            routes.append(self._any_route)
        return iter(routes)

    def url(self, *, parts: Mapping[str, Any] | None = None, query: Any = None) -> str:
        """The 0.17-era URL builder: ``router['name'].url(parts={...}, query='?a=b')``."""
        return _legacy_url(self.url_for(**(parts or {})), query)


class PlainResource(Resource):
    """A literal path, matched by equality."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        assert not path or path.startswith("/")
        self._path = path

    @property
    def canonical(self) -> str:
        return self._path

    @property
    def index_key(self) -> str:
        return self._path or "/"

    def freeze(self) -> None:
        if not self._path:
            self._path = "/"

    def add_prefix(self, prefix: str) -> None:
        assert prefix.startswith("/") and not prefix.endswith("/")
        self._path = prefix + self._path

    def _match(self, path: str) -> dict[str, str] | None:
        if path == self._path or (not self._path and path == "/"):
            return {}
        return None

    def _resolve(
        self, request: Request, path: str, method: str
    ) -> tuple[UrlMappingMatchInfo | None, AbstractSet[str]]:
        # Inlined fast path: the router already found us by the exact path.
        if path != self._path and not (not self._path and path == "/"):
            return None, _NO_METHODS
        route_obj = self._routes.get(method) or self._match_route(method)
        if route_obj is not None:
            return UrlMappingMatchInfo({}, route_obj), _NO_METHODS
        return None, self.allowed_methods

    def raw_match(self, path: str) -> bool:
        return self._path == path

    def get_info(self) -> dict[str, Any]:
        return {"path": self._path}

    def url_for(self) -> URL:  # type: ignore[override]
        return URL.build(path=self._path or "/", encoded=True)

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<PlainResource {name} {self._path}>"


_VAR_NAME_RE = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
DEFAULT_VAR_PATTERN = r"[^{}/]+"


def _parse_pattern(path: str) -> tuple[str, str, list[str]]:
    """``/a/{x}/{y:\\d+}`` → (regex source, formatter ``/a/{x}/{y}``, names).

    Braces inside a variable's regex are allowed (``{code:\\d{3}}``); braces outside a
    variable are an error, as is a variable name used twice.
    """
    regex: list[str] = []
    formatter: list[str] = []
    names: list[str] = []
    pos = 0
    n = len(path)
    while pos < n:
        start = path.find("{", pos)
        stray = path.find("}", pos)
        if stray != -1 and (start == -1 or stray < start):
            raise ValueError(f"Bad pattern '{path}': unbalanced '}}'")
        if start == -1:
            literal = path[pos:]
            regex.append(re.escape(literal))
            formatter.append(literal)
            break
        literal = path[pos:start]
        regex.append(re.escape(literal))
        formatter.append(literal)
        depth = 0
        end = start
        while end < n:
            ch = path[end]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        if depth != 0:
            raise ValueError(f"Bad pattern '{path}': unbalanced '{{'")
        body = path[start + 1 : end]
        name, colon, var_regex = body.partition(":")
        if not _VAR_NAME_RE.match(name):
            raise ValueError(f"Bad pattern '{path}': invalid variable name '{name}'")
        if name in names:
            raise ValueError(f"Bad pattern '{path}': duplicate variable name '{name}'")
        names.append(name)
        var_regex = var_regex if colon else DEFAULT_VAR_PATTERN
        try:
            re.compile(var_regex)
        except re.error as exc:
            raise ValueError(f"Bad pattern '{path}': {exc}") from None
        regex.append(f"(?P<{name}>{var_regex})")
        formatter.append("{" + name + "}")
        pos = end + 1
    return "".join(regex), "".join(formatter), names


class DynamicResource(Resource):
    """A path with variable parts, ``{name}`` or ``{name:regex}``."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        assert path.startswith("/")
        source, formatter, names = _parse_pattern(path)
        self._pattern = re.compile(source)
        self._formatter = formatter
        self._names = names
        self._source_path = path

    @property
    def canonical(self) -> str:
        return self._formatter

    @property
    def index_key(self) -> str:
        literal = self._formatter.split("{", 1)[0]
        key = literal.rpartition("/")[0]
        return key or "/"

    def add_prefix(self, prefix: str) -> None:
        assert prefix.startswith("/") and not prefix.endswith("/")
        self._pattern = re.compile(re.escape(prefix) + self._pattern.pattern)
        self._formatter = prefix + self._formatter
        self._source_path = prefix + self._source_path

    def _match(self, path: str) -> dict[str, str] | None:
        match = self._pattern.fullmatch(path)
        if match is None:
            return None
        values = match.groupdict()
        for value in values.values():
            if "%" in value:  # only then is a new dict needed (a comprehension costs a frame)
                return {k: unquote(v) if "%" in v else v for k, v in values.items()}
        return values

    def raw_match(self, path: str) -> bool:
        return self._formatter == path or self._source_path == path

    def get_info(self) -> dict[str, Any]:
        return {"formatter": self._formatter, "pattern": self._pattern}

    def url_for(self, **parts: Any) -> URL:  # type: ignore[override]
        missing = [n for n in self._names if n not in parts]
        if missing:
            raise KeyError(f"Missing URL parts: {', '.join(missing)}")
        url = self._formatter.format_map({k: _quote_part(v) for k, v in parts.items()})
        return URL.build(path=url, encoded=True)

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<DynamicResource {name} {self._formatter}>"


class PrefixResource(AbstractResource):
    """A resource that owns every path under a prefix (static files, sub-applications)."""

    def __init__(self, prefix: str, *, name: str | None = None) -> None:
        assert not prefix or prefix.startswith("/"), prefix
        assert prefix in ("", "/") or not prefix.endswith("/"), prefix
        super().__init__(name=name)
        self._prefix = prefix.rstrip("/")
        self._prefix2 = self._prefix + "/"

    @property
    def canonical(self) -> str:
        return self._prefix

    @property
    def index_key(self) -> str:
        return self._prefix or "/"

    def add_prefix(self, prefix: str) -> None:
        assert prefix.startswith("/") and not prefix.endswith("/")
        self._prefix = prefix + self._prefix
        self._prefix2 = self._prefix + "/"

    def raw_match(self, prefix: str) -> bool:
        return False

    def _under_prefix(self, path: str) -> bool:
        return path == self._prefix or path.startswith(self._prefix2)


class PrefixedSubAppResource(PrefixResource):
    """``app.add_subapp(prefix, subapp)``: the sub-app's router resolves paths under prefix."""

    def __init__(self, prefix: str, app: Application) -> None:
        super().__init__(prefix)
        self._app = app
        self._add_prefix_to_resources(prefix)

    def add_prefix(self, prefix: str) -> None:
        super().add_prefix(prefix)
        self._add_prefix_to_resources(prefix)

    def _add_prefix_to_resources(self, prefix: str) -> None:
        router = self._app.router
        for resource in router.resources():
            resource.add_prefix(prefix)
        router._prefix = prefix + router._prefix
        router._rebuild_index()

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError(".url_for() is not supported by sub-application root")

    def get_info(self) -> dict[str, Any]:
        return {"app": self._app, "prefix": self._prefix}

    def _resolve(
        self, request: Request, path: str, method: str
    ) -> tuple[UrlMappingMatchInfo | None, AbstractSet[str]]:
        if not self._under_prefix(path):
            return None, _NO_METHODS
        match_info = self._app.router._resolve_path(request, path, method)
        match_info.add_app(self._app)
        if isinstance(match_info.http_exception, HTTPMethodNotAllowed):
            return match_info, match_info.http_exception.allowed_methods
        return match_info, _NO_METHODS

    @property
    def app(self) -> Application:
        return self._app

    def __len__(self) -> int:
        return len(self._app.router.routes())

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._app.router.routes())

    def __repr__(self) -> str:
        return f"<PrefixedSubAppResource {self._prefix} -> {self._app!r}>"


class Domain:
    """A sub-app rule matching the request's ``Host`` (without the port unless given)."""

    def __init__(self, domain: str) -> None:
        self._domain = self.validation(domain)

    @property
    def canonical(self) -> str:
        return self._domain

    def validation(self, domain: str) -> str:
        if not isinstance(domain, str):
            raise TypeError("Domain must be str")
        domain = domain.rstrip(".").lower()
        if not domain:
            raise ValueError("Domain cannot be empty")
        if "://" in domain:
            raise ValueError("Scheme not supported")
        url = URL("http://" + domain)
        if not url.raw_host or not all(
            re.fullmatch(r"(?!-)[a-z\d\-*]{1,63}(?<!-)", part) for part in url.raw_host.split(".")
        ):
            raise ValueError("Domain not valid")
        if url.port == 80:
            return url.raw_host
        return f"{url.raw_host}:{url.port}"

    def match_domain(self, host: str) -> bool:
        host = host.lower()
        return host == self._domain or (
            ":" not in self._domain and host.split(":")[0] == self._domain
        )


class MaskDomain(Domain):
    """``*.example.com``: any one or more labels in place of the star."""

    def __init__(self, domain: str) -> None:
        super().__init__(domain)
        mask = self._domain.replace(".", r"\.").replace("*", ".*")
        self._mask = re.compile(mask)

    @property
    def canonical(self) -> str:
        return self._mask.pattern

    def match_domain(self, host: str) -> bool:
        return self._mask.fullmatch(host.lower().split(":")[0]) is not None


class MatchedSubAppResource(PrefixedSubAppResource):
    """``app.add_domain(domain, subapp)``: a sub-app chosen by the request's host."""

    def __init__(self, rule: Domain, app: Application) -> None:
        AbstractResource.__init__(self)
        self._prefix = ""
        self._prefix2 = "/"
        self._app = app
        self._rule = rule

    @property
    def canonical(self) -> str:
        return self._rule.canonical

    @property
    def index_key(self) -> str:
        return ""  # not indexed by path

    def add_prefix(self, prefix: str) -> None:
        raise RuntimeError("A domain sub-app cannot be prefixed")

    def get_info(self) -> dict[str, Any]:
        return {"app": self._app, "rule": self._rule}

    def _resolve(
        self, request: Request, path: str, method: str
    ) -> tuple[UrlMappingMatchInfo | None, AbstractSet[str]]:
        if not self._rule.match_domain(request.host):
            return None, _NO_METHODS
        match_info = self._app.router._resolve_path(request, path, method)
        match_info.add_app(self._app)
        if isinstance(match_info.http_exception, HTTPMethodNotAllowed):
            return match_info, match_info.http_exception.allowed_methods
        return match_info, _NO_METHODS

    def __repr__(self) -> str:
        return f"<MatchedSubAppResource -> {self._app!r}>"


# -- the router ------------------------------------------------------------------------


class _ResourcesView(Sized, Iterable[AbstractResource], Container[AbstractResource]):
    def __init__(self, resources: list[AbstractResource]) -> None:
        self._resources = resources

    def __len__(self) -> int:
        return len(self._resources)

    def __iter__(self) -> Iterator[AbstractResource]:
        yield from self._resources

    def __contains__(self, resource: object) -> bool:
        return resource in self._resources


class _RoutesView(Sized, Iterable[AbstractRoute], Container[AbstractRoute]):
    def __init__(self, resources: list[AbstractResource]) -> None:
        self._routes: list[AbstractRoute] = [r for res in resources for r in res]

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        yield from self._routes

    def __contains__(self, route_obj: object) -> bool:
        return route_obj in self._routes


class UrlDispatcher(Mapping[str, AbstractResource]):
    """The router: ``app.router``."""

    NAME_SPLIT_RE = _NAME_SPLIT_RE

    def __init__(self) -> None:
        self._resources: list[AbstractResource] = []
        self._named: dict[str, AbstractResource] = {}
        self._index: dict[str, list[AbstractResource]] = {}
        self._domain_resources: list[MatchedSubAppResource] = []
        self._frozen = False
        self._prefix = ""
        # (path, method) -> route, for plain resources found once the router is frozen: the
        # answer cannot change then, so the walk below is skipped next time.  Bounded all
        # the same (a ``*`` route takes every method llhttp knows, routers can be large).
        self._plain_hits: dict[tuple[str, str], AbstractRoute] = {}

    # -- resolution ----------------------------------------------------------------------

    async def resolve(self, request: Request) -> UrlMappingMatchInfo:
        return self._resolve_path(request, request._routing_path, request.method)

    def _resolve_path(self, request: Request, path: str, method: str) -> UrlMappingMatchInfo:
        route = self._plain_hits.get((path, method))
        if route is not None:
            return UrlMappingMatchInfo({}, route)
        index = self._index
        allowed: set[str] | None = None
        key = path
        while True:
            candidates = index.get(key)
            if candidates is not None:
                for resource in candidates:
                    match_info, methods = resource._resolve(request, path, method)
                    if match_info is not None:
                        if (
                            type(resource) is PlainResource
                            and self._frozen
                            and len(self._plain_hits) < _PLAIN_HITS_MAX
                        ):
                            self._plain_hits[path, method] = match_info._route
                        return match_info
                    if methods:
                        allowed = methods if allowed is None else allowed | methods
            if key == "/" or not key:
                break
            key = key.rpartition("/")[0] or "/"
        for domain_resource in self._domain_resources:
            match_info, methods = domain_resource._resolve(request, path, method)
            if match_info is not None:
                return match_info
            if methods:
                allowed = methods if allowed is None else allowed | methods
        if allowed:
            return MatchInfoError(HTTPMethodNotAllowed(method, allowed))
        return MatchInfoError(HTTPNotFound())

    # -- registration --------------------------------------------------------------------

    def _check_frozen(self) -> None:
        if self._frozen:
            raise RuntimeError("Cannot register a resource into frozen router.")

    def register_resource(self, resource: AbstractResource) -> None:
        assert isinstance(resource, AbstractResource), (
            f"Instance of AbstractResource class is required, got {resource!r}"
        )
        self._check_frozen()
        name = resource.name
        if name is not None:
            for part in self.NAME_SPLIT_RE.split(name):
                if not part.isidentifier() or keyword.iskeyword(part):
                    raise ValueError(
                        f"Incorrect route name {name!r}, the name should be a sequence of "
                        "python identifiers separated by dash, dot or column"
                    )
            if name in self._named:
                raise ValueError(f"Duplicate {name!r}, already handled by {self._named[name]!r}")
            self._named[name] = resource
        self._resources.append(resource)
        self._index_resource(resource)

    def _index_resource(self, resource: AbstractResource) -> None:
        if isinstance(resource, MatchedSubAppResource):
            self._domain_resources.append(resource)
        else:
            self._index.setdefault(resource.index_key, []).append(resource)

    def _rebuild_index(self) -> None:
        self._index = {}
        self._domain_resources = []
        for resource in self._resources:
            self._index_resource(resource)

    def add_resource(self, path: str, *, name: str | None = None) -> Resource:
        if path and not path.startswith("/"):
            raise ValueError("path should be started with / or be empty")
        if self._resources:
            last = self._resources[-1]
            if (
                isinstance(last, Resource)
                and last.name == name
                and last.raw_match(self._prefix + path)
            ):
                return last
        if "{" not in path and "}" not in path:
            resource: Resource = PlainResource(path, name=name)
        else:
            resource = DynamicResource(path, name=name)
        if self._prefix:
            resource.add_prefix(self._prefix)
        self.register_resource(resource)
        return resource

    def add_route(
        self,
        method: str,
        path: str,
        handler: Any,
        *,
        name: str | None = None,
        expect_handler: Callable[[Request], Awaitable[Any]] | None = None,
    ) -> AbstractRoute:
        resource = self.add_resource(path, name=name)
        return resource.add_route(method, handler, expect_handler=expect_handler)

    def add_head(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        return self.add_route("HEAD", path, handler, **kwargs)

    def add_options(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        return self.add_route("OPTIONS", path, handler, **kwargs)

    def add_get(
        self,
        path: str,
        handler: Any,
        *,
        name: str | None = None,
        allow_head: bool = True,
        **kwargs: Any,
    ) -> AbstractRoute:
        """GET (and HEAD, unless ``allow_head=False``) for ``path``."""
        resource = self.add_resource(path, name=name)
        if allow_head:
            resource.add_route("HEAD", handler, **kwargs)
        elif "HEAD" not in resource._routes:
            resource._auto_head = False  # aiohttp: HEAD is then 405
        return resource.add_route("GET", handler, **kwargs)

    def add_post(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        return self.add_route("POST", path, handler, **kwargs)

    def add_put(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        return self.add_route("PUT", path, handler, **kwargs)

    def add_patch(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        return self.add_route("PATCH", path, handler, **kwargs)

    def add_delete(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        return self.add_route("DELETE", path, handler, **kwargs)

    def add_view(self, path: str, handler: type[AbstractView], **kwargs: Any) -> AbstractRoute:
        return self.add_route(METH_ANY, path, handler, **kwargs)

    def add_static(
        self,
        prefix: str,
        path: Any,
        *,
        name: str | None = None,
        expect_handler: Callable[[Request], Awaitable[Any]] | None = None,
        chunk_size: int = 256 * 1024,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> AbstractResource:
        """Serve the files under directory ``path`` at URLs under ``prefix``."""
        from aioweb.framework.staticfiles import StaticResource  # noqa: PLC0415 (cycle: staticfiles subclasses routing (TODO issue 12 routing split))

        assert prefix.startswith("/")
        if prefix.endswith("/"):
            prefix = prefix[:-1]
        resource = StaticResource(
            prefix,
            path,
            name=name,
            expect_handler=expect_handler,
            chunk_size=chunk_size,
            show_index=show_index,
            follow_symlinks=follow_symlinks,
            append_version=append_version,
        )
        if self._prefix:
            resource.add_prefix(self._prefix)
        self.register_resource(resource)
        return resource

    def add_routes(self, routes: Iterable[AbstractRouteDef]) -> list[AbstractRoute]:
        registered: list[AbstractRoute] = []
        for route_def in routes:
            registered.extend(route_def.register(self))
        return registered

    # -- views ---------------------------------------------------------------------------

    def resources(self) -> _ResourcesView:
        return _ResourcesView(self._resources)

    def routes(self) -> _RoutesView:
        return _RoutesView(self._resources)

    def named_resources(self) -> Mapping[str, AbstractResource]:
        return MappingProxyType(self._named)

    def __getitem__(self, name: str) -> AbstractResource:
        return self._named[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._named)

    def __len__(self) -> int:
        return len(self._named)

    def __contains__(self, resource: object) -> bool:
        return resource in self._named

    def freeze(self) -> None:
        self._frozen = True
        for resource in self._resources:
            resource.freeze()

    @property
    def frozen(self) -> bool:
        return self._frozen


# -- route definitions -----------------------------------------------------------------


class AbstractRouteDef(abc.ABC):
    @abc.abstractmethod
    def register(self, router: UrlDispatcher) -> list[AbstractRoute]: ...


class RouteDef(AbstractRouteDef):
    """``web.get('/', handler)`` and friends: a route to add later with ``add_routes``."""

    def __init__(self, method: str, path: str, handler: Any, kwargs: dict[str, Any]) -> None:
        self.method = method
        self.path = path
        self.handler = handler
        self.kwargs = kwargs

    def __repr__(self) -> str:
        info = "".join(f", {name}={value!r}" for name, value in sorted(self.kwargs.items()))
        return f"<RouteDef {self.method} {self.path} -> {self.handler.__name__!r}{info}>"

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        if self.method in METH_ALL or self.method == METH_ANY:
            reg = getattr(router, "add_" + self.method.lower(), None)
            if self.method == METH_ANY:
                return [router.add_route(METH_ANY, self.path, self.handler, **self.kwargs)]
            if reg is not None and self.method not in ("HEAD", "OPTIONS"):
                return [reg(self.path, self.handler, **self.kwargs)]
        return [router.add_route(self.method, self.path, self.handler, **self.kwargs)]


class StaticDef(AbstractRouteDef):
    def __init__(self, prefix: str, path: Any, kwargs: dict[str, Any]) -> None:
        self.prefix = prefix
        self.path = path
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"<StaticDef {self.prefix} -> {self.path}>"

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        resource = router.add_static(self.prefix, self.path, **self.kwargs)
        return list(resource)


def route(method: str, path: str, handler: Any, **kwargs: Any) -> RouteDef:
    return RouteDef(method, path, handler, kwargs)


def head(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    return route("HEAD", path, handler, **kwargs)


def options(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    return route("OPTIONS", path, handler, **kwargs)


def get(
    path: str, handler: Any, *, name: str | None = None, allow_head: bool = True, **kwargs: Any
) -> RouteDef:
    return route("GET", path, handler, name=name, allow_head=allow_head, **kwargs)


def post(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    return route("POST", path, handler, **kwargs)


def put(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    return route("PUT", path, handler, **kwargs)


def patch(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    return route("PATCH", path, handler, **kwargs)


def delete(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    return route("DELETE", path, handler, **kwargs)


def view(path: str, handler: type[AbstractView], **kwargs: Any) -> RouteDef:
    return route(METH_ANY, path, handler, **kwargs)


def static(prefix: str, path: Any, **kwargs: Any) -> StaticDef:
    return StaticDef(prefix, path, kwargs)


class RouteTableDef(Sized, Iterable[AbstractRouteDef]):
    """Flask-like decorators collecting routes: ``@routes.get('/')``."""

    def __init__(self) -> None:
        self._items: list[AbstractRouteDef] = []

    def __repr__(self) -> str:
        return f"<RouteTableDef count={len(self._items)}>"

    def __getitem__(self, index: int) -> AbstractRouteDef:
        return self._items[index]

    def __iter__(self) -> Iterator[AbstractRouteDef]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def route(self, method: str, path: str, **kwargs: Any) -> Callable[[Any], Any]:
        def inner(handler: Any) -> Any:
            self._items.append(RouteDef(method, path, handler, kwargs))
            return handler

        return inner

    def head(self, path: str, **kwargs: Any) -> Callable[[Any], Any]:
        return self.route("HEAD", path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Callable[[Any], Any]:
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[Any], Any]:
        return self.route("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[Any], Any]:
        return self.route("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[Any], Any]:
        return self.route("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[Any], Any]:
        return self.route("DELETE", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Callable[[Any], Any]:
        return self.route("OPTIONS", path, **kwargs)

    def view(self, path: str, **kwargs: Any) -> Callable[[Any], Any]:
        return self.route(METH_ANY, path, **kwargs)

    def static(self, prefix: str, path: Any, **kwargs: Any) -> None:
        self._items.append(StaticDef(prefix, path, kwargs))
