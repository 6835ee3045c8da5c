"""Resources: a path (literal, with variables, or a prefix) and its routes by method.

Each resource has an *index key*, the literal path it starts with, under which the router
files it (see :mod:`aioweb.framework.routing.dispatcher`).  A resource then confirms the
match itself and picks the route for the method; HEAD falls back to GET (RFC 9110 §9.3.2).
"""

from __future__ import annotations

import abc
import re
from collections.abc import Iterable, Iterator, Mapping, Sized
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from yarl import URL

from aioweb.framework.routing.match_info import UrlMappingMatchInfo, route_match_info
from aioweb.framework.routing.routes import METH_ANY, AbstractRoute, ResourceRoute
from aioweb.framework.types import ExpectHandler

if TYPE_CHECKING:
    from aioweb.framework.request import Request

__all__ = [
    "AbstractResource",
    "DynamicResource",
    "PlainResource",
    "PrefixResource",
    "Resource",
]

# "No allowed methods to report": shared, as resolution runs for every request.
_NO_METHODS: frozenset[str] = frozenset()


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
        expect_handler: ExpectHandler | None = None,
    ) -> ResourceRoute:
        method = method.upper()
        # A route after a "*" route would never run (the "*" one answers every method).
        if method in self._routes or self._any_route is not None:
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
            return route_match_info(route_obj, match_dict), _NO_METHODS
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
            return route_match_info(route_obj), _NO_METHODS
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
        regex.append(f"(?P<{name}>{var_regex})")
        try:
            re.compile("".join(regex))  # (the pattern so far: the error names it, as aiohttp's)
        except re.error as exc:
            raise ValueError(f"Bad pattern '{''.join(regex)}': {exc}") from None
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

    def url_for(self, **parts: Any) -> URL:
        missing = [n for n in self._names if n not in parts]
        if missing:
            raise KeyError(f"Missing URL parts: {', '.join(missing)}")
        # The route's own literal text is percent-encoded too (``%XX`` already in it is kept):
        # "/\u00e9t\u00e9 %2F/{arg}" builds "/%C3%A9t%C3%A9%20%2F/...", as aiohttp.
        formatter = quote(self._formatter, safe="/@:!$&'()*+,;=%~{}")
        url = formatter.format_map({k: _quote_part(v) for k, v in parts.items()})
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
