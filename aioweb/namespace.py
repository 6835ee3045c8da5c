"""The ``aiohttp.web`` names, gathered once; ``aioweb`` and ``aioweb.web`` both re-export them.

Optional parts (files, WebSockets, GridFS, workers) are imported on first use, so importing
``aioweb`` stays cheap and needs only the core dependencies.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from aioweb.framework.app import AppKey, Application
from aioweb.framework.app_runner import AppRunner
from aioweb.framework.exceptions import *  # noqa: F403
from aioweb.framework.exceptions import __all__ as _exceptions_all
from aioweb.framework.helpers import (
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    NotAppKeyWarning,
    RequestKey,
    ResponseKey,
)
from aioweb.framework.json_response import json_bytes_response, json_response
from aioweb.framework.lowlevel import Server
from aioweb.framework.middlewares import middleware, normalize_path_middleware
from aioweb.framework.request import BaseRequest, FileField, Request
from aioweb.framework.response import Response, StreamResponse
from aioweb.framework.response_coding import ContentCoding
from aioweb.framework.routing import (
    AbstractResource,
    AbstractRoute,
    AbstractRouteDef,
    DynamicResource,
    PlainResource,
    PrefixedSubAppResource,
    Resource,
    ResourceRoute,
    RouteDef,
    RouteTableDef,
    StaticDef,
    UrlDispatcher,
    UrlMappingMatchInfo,
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
from aioweb.framework.run import run_app
from aioweb.framework.views import AbstractView, View

from .server.accesslog import AbstractAccessLogger, AccessLogger
from .server.protocol import HttpProtocol
from .server.runners import (
    BaseRunner,
    BaseSite,
    GracefulExit,
    NamedPipeSite,
    ServerRunner,
    SockSite,
    TCPSite,
    UnixSite,
)
from .server.streams import StreamReader

#: aiohttp's name for the per-connection protocol (``request.protocol``, ``Server``'s
#: connections): aioweb's :class:`~aioweb.server.protocol.HttpProtocol`, with its own API
#: (``close()``, ``abort()``, ``transport``, ``peername``...), not aiohttp's private one.
RequestHandler = HttpProtocol

# NotAppKeyWarning (a plain str key in app/request/response storage) is shown only when
# warnings are switched on (-W default, -X dev, a test runner's filters), as in aiohttp:
# appended, so any filter the user sets wins.
warnings.filterwarnings("ignore", category=NotAppKeyWarning, append=True)

# name -> module that defines it, imported on first access
_LAZY = {
    "FileResponse": "aioweb.framework.fileresponse",
    "StaticResource": "aioweb.framework.routing",
    "WebSocketResponse": "aioweb.framework.websocket",
    "WebSocketReady": "aioweb.framework.websocket",
    "WSMsgType": "aioweb.framework.websocket",
    "WSMessage": "aioweb.framework.websocket",
    "WSCloseCode": "aioweb.framework.websocket",
    "WebSocketError": "aioweb.framework.websocket",
    "MsgType": "aioweb.framework.websocket",
    "MultipartReader": "aioweb.framework.multipart",
    "MultipartWriter": "aioweb.framework.multipart",
    "BodyPartReader": "aioweb.framework.multipart",
    "MultipartError": "aioweb.framework.multipart",
    "compression_middleware": "aioweb.framework.compression",
    "AIOHTTPGridFS": "aioweb.integrations.gridfs",
    "GridFSHandler": "aioweb.integrations.gridfs",
    "GunicornWebWorker": "aioweb.tooling.worker",
    "GunicornUVLoopWebWorker": "aioweb.tooling.worker",
    "EventSourceResponse": "aioweb.integrations.sse",
    "sse_response": "aioweb.integrations.sse",
    "ASGIApp": "aioweb.integrations.asgi",  # web.ASGIApp(asgi_app): an ASGI app as a sub-app
    "access_logger": "aioweb.server.log",  # aiohttp.web has it too, outside __all__
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(module_name)
    return getattr(module, name)


__all__ = [
    "AbstractResource",
    "AbstractRoute",
    "AbstractRouteDef",
    "AbstractView",
    "AbstractAccessLogger",
    "AccessLogger",
    "AppKey",
    "AppRunner",
    "Application",
    "BaseRequest",
    "BaseRunner",
    "BaseSite",
    "ContentCoding",
    "DynamicResource",
    "FileField",
    "GracefulExit",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "NamedPipeSite",
    "PlainResource",
    "PrefixedSubAppResource",
    "Request",
    "RequestHandler",
    "RequestKey",
    "Resource",
    "ResourceRoute",
    "Response",
    "ResponseKey",
    "RouteDef",
    "RouteTableDef",
    "Server",
    "ServerRunner",
    "SockSite",
    "StaticDef",
    "StreamReader",
    "StreamResponse",
    "TCPSite",
    "UnixSite",
    "UrlDispatcher",
    "UrlMappingMatchInfo",
    "View",
    "delete",
    "get",
    "head",
    "json_bytes_response",
    "json_response",
    "middleware",
    "normalize_path_middleware",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "run_app",
    "static",
    "view",
    *_exceptions_all,
]

#: lazy names that ``from aioweb.web import *`` also gives (their modules need no extras)
STAR_LAZY = [
    name
    for name, module in _LAZY.items()
    if module
    not in ("aioweb.integrations.gridfs", "aioweb.tooling.worker", "aioweb.integrations.asgi")
    and name != "access_logger"
]
