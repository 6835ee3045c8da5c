"""Sub-applications: mounted under a path prefix, or chosen by the request's host.

The sub-application's own router resolves the rest; its application is pushed onto the
match info's application stack, so middlewares and signals of both apply.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from yarl import URL

from aioweb.framework.exceptions import HTTPMethodNotAllowed
from aioweb.framework.routing.match_info import UrlMappingMatchInfo
from aioweb.framework.routing.resources import (
    _NO_METHODS,
    AbstractResource,
    PrefixResource,
)
from aioweb.framework.routing.routes import AbstractRoute

if TYPE_CHECKING:
    from aioweb.framework.app import Application
    from aioweb.framework.request import Request

__all__ = ["Domain", "MaskDomain", "MatchedSubAppResource", "PrefixedSubAppResource"]


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

    #: one label of the name (IDNA-encoded); MaskDomain allows ``*`` too
    _label = re.compile(r"(?!-)[a-z\d\-]{1,63}(?<!-)")

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
            self._label.fullmatch(part) for part in url.raw_host.split(".")
        ):
            raise ValueError("Domain not valid")
        if url.port == 80:
            return url.raw_host
        return f"{url.raw_host}:{url.port}"

    def match_domain(self, host: str) -> bool:
        host = host.lower()
        return host == self._domain or host.partition(":")[0] == self._domain

    def get_info(self) -> dict[str, Any]:
        return {"domain": self._domain}


class MaskDomain(Domain):
    """``*.example.com``: any run of characters but ``:`` in place of each star (so labels,
    dots included). Without a port it matches the host on any port; with one, that port only.
    """

    _label = re.compile(r"(?!-)[a-z\d\-*]{1,63}(?<!-)")

    def __init__(self, domain: str) -> None:
        super().__init__(domain)
        host_mask, _, self._port = self._domain.partition(":")
        self._mask = re.compile("".join(".*" if c == "*" else re.escape(c) for c in host_mask))
        # (aiohttp's spelling of the same rule, what ``canonical`` reports)
        self._pattern = self._domain.replace(".", r"\.").replace("*", "[^:]*") + "(:.*)?"

    @property
    def canonical(self) -> str:
        return self._pattern

    def match_domain(self, host: str) -> bool:
        hostname, _, port = host.lower().partition(":")
        if self._port and port != self._port:
            return False
        return self._mask.fullmatch(hostname) is not None


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
