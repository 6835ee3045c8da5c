"""The router (``app.router``): registration, the path index, and resolution.

Resolution: every resource has an *index key*, the literal path it starts with (a plain
resource's whole path; a dynamic one's path up to the segment holding its first variable; a
prefix resource's prefix).  The router looks the request path up in that index, then each
parent path in turn, so the most specific literal path wins and a route registered after 50
others costs one or two dict look-ups, not 50 regex tests.  Within one key, resources are
tried in the order they were added.  Domain-matched sub-applications are tried last.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import (
    Container,
    Iterable,
    Iterator,
    Mapping,
    Sized,
)
from collections.abc import Set as AbstractSet
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from aioweb.framework.exceptions import HTTPMethodNotAllowed, HTTPNotFound
from aioweb.framework.routing.match_info import (
    MatchInfoError,
    UrlMappingMatchInfo,
    route_match_info,
)
from aioweb.framework.routing.resources import (
    AbstractResource,
    DynamicResource,
    PlainResource,
    Resource,
)
from aioweb.framework.routing.routes import METH_ANY, AbstractRoute
from aioweb.framework.routing.staticfiles import StaticResource
from aioweb.framework.routing.subapps import MatchedSubAppResource
from aioweb.framework.types import ExpectHandler
from aioweb.framework.views import AbstractView

if TYPE_CHECKING:
    from aioweb.framework.request import Request
    from aioweb.framework.routing.definitions import AbstractRouteDef

__all__ = ["UrlDispatcher"]

_NAME_SPLIT_RE = re.compile(r"[.:-]")

_PLAIN_HITS_MAX = 4096  # see UrlDispatcher._plain_hits


def _plain_hit(
    hits: dict[str, dict[str, AbstractRoute]], path: str, method: str
) -> UrlMappingMatchInfo | None:
    """The match info of a plain route found before (``UrlDispatcher._plain_hits``), or None.

    A function (C-typed in ``dispatcher.pxd``) rather than inline code of the method: there
    ``hits`` is an attribute of a Python object, so ``.get`` is a generic method call.  Keyed
    by method, then path: two look-ups cost less than a ``(path, method)`` tuple made, hashed,
    compared and freed per request.
    """
    by_path = hits.get(method)
    if by_path is None:
        return None
    route = by_path.get(path)
    if route is None:
        return None
    return route_match_info(route)


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
        self._plain_hits: dict[str, dict[str, AbstractRoute]] = {}  # method -> path -> route
        self._plain_hit_count = 0

    # -- resolution ----------------------------------------------------------------------

    async def resolve(self, request: Request) -> UrlMappingMatchInfo:
        return self._resolve_path(request, request._routing_path, request.method)

    def _resolve_path(self, request: Request, path: str, method: str) -> UrlMappingMatchInfo:
        match_info = _plain_hit(self._plain_hits, path, method)
        if match_info is not None:
            return match_info
        index = self._index
        allowed: AbstractSet[str] | None = None  # unions make new sets: no resource's is changed
        if self._domain_resources:
            # Domain sub-apps first (as aiohttp): a sub-app serving the same path as its parent
            # wins for its host. (With any of them, no plain hit is cached: see below.)
            for domain_resource in self._domain_resources:
                match_info, methods = domain_resource._resolve(request, path, method)
                if match_info is not None:
                    return match_info
                if methods:
                    allowed = methods if allowed is None else allowed | methods
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
                            and self._plain_hit_count < _PLAIN_HITS_MAX
                            and not self._domain_resources  # (a host-blind cache would skip them)
                        ):
                            self._plain_hits.setdefault(method, {})[path] = match_info._route
                            self._plain_hit_count += 1
                        return match_info
                    if methods:
                        allowed = methods if allowed is None else allowed | methods
            if key == "/" or not key:
                break
            key = key.rpartition("/")[0] or "/"
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
        expect_handler: ExpectHandler | None = None,
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
        expect_handler: ExpectHandler | None = None,
        chunk_size: int = 256 * 1024,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> AbstractResource:
        """Serve the files under directory ``path`` at URLs under ``prefix``."""
        assert prefix.startswith("/")
        prefix = prefix.removesuffix("/")
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
