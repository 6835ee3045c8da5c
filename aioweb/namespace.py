"""The ``aiohttp.web`` names, gathered once; ``aioweb`` and ``aioweb.web`` both re-export them.

Optional parts (files, WebSockets, GridFS, workers) are imported on first use, so importing
``aioweb`` stays cheap and needs only the core dependencies.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from .app import AppKey, Application
from .app_runner import AppRunner
from .exceptions import *  # noqa: F403
from .exceptions import __all__ as _exceptions_all
from .helpers import (
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    NotAppKeyWarning,
    RequestKey,
    ResponseKey,
)
from .lowlevel import Server
from .middlewares import middleware, normalize_path_middleware
from .request import BaseRequest, FileField, Request
from .response import ContentCoding, Response, StreamResponse, json_bytes_response, json_response
from .routing import (
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
from .run import run_app
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
from .views import AbstractView, View

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
    "FileResponse": ".fileresponse",
    "StaticResource": ".static",
    "WebSocketResponse": ".websocket",
    "WebSocketReady": ".websocket",
    "WSMsgType": ".websocket",
    "WSMessage": ".websocket",
    "WSCloseCode": ".websocket",
    "WebSocketError": ".websocket",
    "MsgType": ".websocket",
    "MultipartReader": ".multipart",
    "MultipartWriter": ".multipart",
    "BodyPartReader": ".multipart",
    "MultipartError": ".multipart",
    "compression_middleware": ".compression",
    "AIOHTTPGridFS": ".gridfs",
    "GridFSHandler": ".gridfs",
    "GunicornWebWorker": ".worker",
    "GunicornUVLoopWebWorker": ".worker",
    "EventSourceResponse": ".sse",
    "sse_response": ".sse",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(module_name, __package__)
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
STAR_LAZY = [name for name, module in _LAZY.items() if module not in (".gridfs", ".worker")]
