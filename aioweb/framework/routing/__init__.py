"""URL dispatching: resources, routes, the router, route definitions and match info.

A concept package (one concept per module, behind this re-exporting face):

* ``routes``: a (method, handler) pair, the system route of a miss, ``Expect`` handling;
* ``match_info``: what the router found for a request (``request.match_info``);
* ``resources``: plain, dynamic and prefix resources, with the route picked by method;
* ``subapps``: sub-applications under a prefix or chosen by host (``Domain``);
* ``staticfiles``: ``StaticResource``, files under a directory (``add_static``);
* ``dispatcher``: the router (``UrlDispatcher``): registration, the path index, resolution;
* ``definitions``: ``web.get(...)``, ``RouteTableDef`` (routes described before a router).

Only names are re-exported here; the submodules' names differ from every exported name
(no ``static.py`` beside ``static()``), so importing a submodule never replaces an export.
``MatchInfoError``, ``METH_ANY``/``METH_ALL``, ``Handler`` and ``DEFAULT_VAR_PATTERN`` stay
importable from here as before, outside ``__all__`` (they are not ``aiohttp.web`` names).
The hot-path modules (``routes``, ``match_info``, ``resources``, ``dispatcher``) are compiled
(``COMPILED_MODULES``); a package ``__init__`` cannot be, so it holds no code.
"""

from __future__ import annotations

from aioweb.framework.routing.definitions import (
    AbstractRouteDef,
    RouteDef,
    RouteTableDef,
    StaticDef,
    delete,
    get,
    head,
    options,
    patch,
    post,
    put,
    route,
    static,
    view,
)
from aioweb.framework.routing.dispatcher import UrlDispatcher
from aioweb.framework.routing.match_info import MatchInfoError as MatchInfoError
from aioweb.framework.routing.match_info import UrlMappingMatchInfo
from aioweb.framework.routing.resources import (
    DEFAULT_VAR_PATTERN as DEFAULT_VAR_PATTERN,
)
from aioweb.framework.routing.resources import (
    AbstractResource,
    DynamicResource,
    PlainResource,
    PrefixResource,
    Resource,
)
from aioweb.framework.routing.routes import METH_ALL as METH_ALL
from aioweb.framework.routing.routes import METH_ANY as METH_ANY
from aioweb.framework.routing.routes import AbstractRoute, ResourceRoute, SystemRoute
from aioweb.framework.routing.staticfiles import StaticResource
from aioweb.framework.routing.subapps import (
    Domain,
    MaskDomain,
    MatchedSubAppResource,
    PrefixedSubAppResource,
)
from aioweb.framework.types import Handler as Handler

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
    "StaticResource",
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
