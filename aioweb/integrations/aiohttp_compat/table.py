"""The one table of aiohttp's public module paths and the aioweb objects behind each name.

``TABLE[aiohttp_module][name]`` says where the object comes from:

* ``"pkg.module:attr"`` - an aioweb object (its home module, never the public face);
* ``"aiohttp:pkg.module:attr"`` - a client-side name (cookie jars, resolvers, ``BasicAuth``):
  aioweb's client *is* aiohttp's, so the name is aiohttp's own, looked up only when used and
  only if aiohttp is installed;
* ``"shims:group:name"`` - a small definition in :mod:`.shims` (header constants, typedefs...).

``MISSING`` lists aiohttp's public names that aioweb does not provide yet, with the reason; the
coverage test counts both against aiohttp's own modules, so an addition to either shows up.

Read by :mod:`.modules` (the ``aioweb.<name>`` aliases and the real modules at those paths) and
:mod:`.optin` (``aiohttp.web_*`` served by aioweb).
"""

from __future__ import annotations

from typing import Final

__all__ = ["MISSING", "TABLE"]

_F = "aioweb.framework"
_R = "aioweb.framework.routing"
_S = "aioweb.server"
_C = "aioweb.integrations.aiohttp_compat"


def _from(module: str, names: str) -> dict[str, str]:
    return {name: f"{module}:{name}" for name in names.split()}


_EXCEPTIONS = """
HTTPException HTTPError HTTPRedirection HTTPSuccessful HTTPOk HTTPCreated HTTPAccepted
HTTPNonAuthoritativeInformation HTTPNoContent HTTPResetContent HTTPPartialContent HTTPMove
HTTPMultipleChoices HTTPMovedPermanently HTTPFound HTTPSeeOther HTTPNotModified HTTPUseProxy
HTTPTemporaryRedirect HTTPPermanentRedirect HTTPClientError HTTPBadRequest HTTPUnauthorized
HTTPPaymentRequired HTTPForbidden HTTPNotFound HTTPMethodNotAllowed HTTPNotAcceptable
HTTPProxyAuthenticationRequired HTTPRequestTimeout HTTPConflict HTTPGone HTTPLengthRequired
HTTPPreconditionFailed HTTPRequestEntityTooLarge HTTPRequestURITooLong HTTPUnsupportedMediaType
HTTPRequestRangeNotSatisfiable HTTPExpectationFailed HTTPMisdirectedRequest
HTTPUnprocessableEntity HTTPFailedDependency HTTPUpgradeRequired HTTPPreconditionRequired
HTTPTooManyRequests HTTPRequestHeaderFieldsTooLarge HTTPUnavailableForLegalReasons
HTTPServerError HTTPInternalServerError HTTPNotImplemented HTTPBadGateway
HTTPServiceUnavailable HTTPGatewayTimeout HTTPVersionNotSupported HTTPVariantAlsoNegotiates
HTTPInsufficientStorage HTTPNotExtended HTTPNetworkAuthenticationRequired
"""

TABLE: Final[dict[str, dict[str, str]]] = {
    "abc": {
        **_from(f"{_F}.views", "AbstractView"),
        **_from(f"{_S}.accesslog", "AbstractAccessLogger"),
        **_from("shims:abc", "AbstractRouter AbstractMatchInfo"),
        **_from(f"{_F}.payloads", "AbstractStreamWriter"),
        **_from("aiohttp:aiohttp.abc", "AbstractCookieJar AbstractResolver ResolveResult"),
    },
    "typedefs": _from(
        "shims:typedefs",
        "Byteish JSONEncoder JSONBytesEncoder JSONDecoder LooseHeaders RawHeaders StrOrURL "
        "LooseCookiesMappings LooseCookiesIterables LooseCookies PathLike Query "
        "DEFAULT_JSON_ENCODER DEFAULT_JSON_DECODER Handler Middleware "
        "CIMultiDict CIMultiDictProxy MultiDict MultiDictProxy istr URL",
    ),
    "hdrs": {},  # every constant of shims.hdrs_names(), filled in by modules.entry()
    "log": {
        **_from(f"{_S}.log", "access_logger server_logger web_logger"),
        **_from("shims:loggers", "ws_logger internal_logger client_logger"),
    },
    "multipart": {
        **_from(f"{_F}.multipart", "MultipartReader BodyPartReader"),
        **_from(f"{_F}.multipart_writer", "MultipartWriter"),
        **_from(
            "aioweb.http.disposition",
            "BadContentDispositionHeader BadContentDispositionParam parse_content_disposition "
            "content_disposition_filename",
        ),
    },
    "streams": _from(f"{_S}.streams", "EMPTY_PAYLOAD EofStream StreamReader"),
    "payload": _from(
        f"{_F}.payloads",
        "PAYLOAD_REGISTRY get_payload payload_type Payload BytesPayload StringPayload "
        "IOBasePayload BytesIOPayload BufferedReaderPayload TextIOPayload StringIOPayload "
        "JsonPayload JsonBytesPayload AsyncIterablePayload",
    ),
    "helpers": {
        **_from("aioweb.http.etag", "ETag"),
        **_from("shims:helpers", "ChainMapProxy reify"),
        **_from("aiohttp:aiohttp.helpers", "BasicAuth"),
        # beyond aiohttp's __all__: module constants its tests and server code read
        **_from(f"{_C}.constants", "DEBUG DEFAULT_CHUNK_SIZE noop"),
    },
    "web_exceptions": _from(f"{_F}.exceptions", _EXCEPTIONS),
    "web_request": {
        **_from(f"{_F}.request", "BaseRequest Request"),
        **_from("aioweb.http.etag", "ETag"),
        **_from(f"{_F}.multipart_form", "FileField"),
    },
    "web_response": {
        **_from(f"{_F}.response", "StreamResponse Response"),
        **_from(f"{_F}.response_coding", "ContentCoding"),
        **_from(f"{_F}.json_response", "json_response json_bytes_response"),
    },
    "web_urldispatcher": {
        **_from(f"{_R}.dispatcher", "UrlDispatcher"),
        **_from(f"{_R}.match_info", "UrlMappingMatchInfo"),
        **_from(f"{_R}.resources", "AbstractResource Resource PlainResource DynamicResource"),
        # beyond aiohttp's __all__, names its plugins import from this module
        **_from(f"{_R}.resources", "PrefixResource"),
        **_from(f"{_R}.subapps", "PrefixedSubAppResource MatchedSubAppResource Domain MaskDomain"),
        **_from(f"{_R}.routes", "AbstractRoute ResourceRoute"),
        **_from(f"{_R}.staticfiles", "StaticResource"),
        **_from(f"{_F}.views", "View"),
        **_from(f"{_R}.routes", "SystemRoute"),
        **_from(f"{_C}.constants", "PATH_SEP"),
    },
    "web_fileresponse": {
        **_from(f"{_F}.fileresponse", "FileResponse"),
        **_from(f"{_C}.constants", "NOSENDFILE"),
    },
    "http_exceptions": _from(
        "aioweb.http.errors",
        "HttpProcessingError BadHttpMessage HttpBadRequest PayloadEncodingError "
        "ContentEncodingError TransferEncodingError ContentLengthError DecompressSizeError "
        "LineTooLong InvalidHeader BadStatusLine BadHttpMethod InvalidURLError",
    ),
    "web_log": {
        **_from(f"{_S}.accesslog", "AbstractAccessLogger AccessLogger"),
        **_from("shims:helpers", "KeyMethod"),
    },
    "web_runner": {
        **_from(
            f"{_S}.runners",
            "BaseSite TCPSite UnixSite NamedPipeSite SockSite BaseRunner ServerRunner GracefulExit",
        ),
        **_from(f"{_F}.app_runner", "AppRunner"),
    },
    "web_app": {
        **_from(f"{_F}.app", "Application"),
        **_from(f"{_F}.signals", "CleanupError"),
    },
    "web_middlewares": _from(f"{_F}.middlewares", "middleware normalize_path_middleware"),
    "web_ws": {
        **_from(f"{_F}.websocket", "WebSocketResponse WebSocketReady"),
        **_from("aioweb.http.websocket.messages", "WSMsgType"),
        # aiohttp.http's, imported by aiohttp.web_ws too (aioweb.http is aioweb's wire package:
        # aiohttp.http's other server names, HttpVersion11, WSCloseCode..., are in aioweb.web)
        **_from(f"{_F}.websocket_session", "WS_CLOSED_MESSAGE WS_CLOSING_MESSAGE"),
    },
    "web_routedef": _from(
        f"{_R}.definitions",
        "AbstractRouteDef RouteDef StaticDef RouteTableDef "
        "head options get post patch put delete route view static",
    ),
    "web_server": _from(f"{_F}.lowlevel", "Server"),
    "web_protocol": {
        "RequestHandler": f"{_S}.protocol:HttpProtocol",
        **_from("aioweb.http.errors", "RequestPayloadError PayloadAccessError"),
    },
}

#: aiohttp's public names aioweb does not offer yet, per module, with the reason.
MISSING: Final[dict[str, dict[str, str]]] = {
    "streams": {"DataQueue": "a client-side queue in aiohttp; aioweb's server does not use it"},
    "hdrs": {"HOST_ALL": "aiohttp's internal case-variant set for its parser"},
}
