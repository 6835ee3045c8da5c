"""The per-request fields of ``BaseRequest``: a C type when compiled (``request_fields.pxd``).

``BaseRequest`` and ``Request`` stay Python classes on this base, with an instance
``__dict__``: users subclass them, add attributes to requests, and a ``web.BaseRequest``
request factory works as in aiohttp.  The fields every request has are C fields: the
constructor fills them with C stores (a generic ``setattr`` on an instance dict costs ~185
instructions, measured), and compiled code that knows the type (the short response head,
``response_short.py``) reads them without a look-up.

The module stays below the responses in the import graph (the short head's ``.pxd`` imports
its type): the body decoder, whose errors are responses, is handed in by ``request.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from multidict import MultiDictProxy
from yarl import URL

from aioweb._extensions import frames_per_call
from aioweb.framework.helpers import sentinel
from aioweb.framework.request_message import head_from_message
from aioweb.http.parser import RequestHead
from aioweb.server.streams import EMPTY_PAYLOAD, StreamReader

if TYPE_CHECKING:
    from aioweb.framework.app import Application
    from aioweb.framework.routing import UrlMappingMatchInfo

__all__ = [
    "DEFAULT_CLIENT_MAX_FIELDS",
    "DEFAULT_CLIENT_MAX_SIZE",
    "FIELDS",
    "RequestFields",
    "copy_request",
]

DEFAULT_CLIENT_MAX_SIZE = 1024**2  # bytes of a request body read() takes at most (aiohttp's)
DEFAULT_CLIENT_MAX_FIELDS = 1000  # form fields post() accepts at most (aiohttp 3.14's)

#: ``decoded_body.decoding_payload``, set by ``request.py`` when it is imported: the decoder
#: imports the exceptions, hence the responses, which import this module.
decoding_payload: Callable[[RequestHead, StreamReader], StreamReader] | None = None

#: The C fields, which a copy takes one by one: ``__dict__`` holds only the other attributes
#: (a subclass's own, a user's).
FIELDS: tuple[str, ...] = ("_head", "_method", "_payload", "_protocol", "_cache", "_app")
FIELDS += ("_match_info", "_prepare_hook", "_state", "_scheme", "_host", "_remote", "_loop")
FIELDS += ("_task", "_writer", "_read_bytes", "_post", "_rel_url", "_client_max_size")
FIELDS += ("_client_max_fields",)

_R = TypeVar("_R", bound="RequestFields")

#: Request._cache entries computed from the headers alone (kept by a copy when they stay).
_HEADER_DERIVED = frozenset({"headers", "cookies", "ctype"})


class RequestFields:
    """The per-request state of :class:`BaseRequest`, a C type when compiled (``request_fields.pxd``).

    Compiled, ``__init__`` fills typed fields with C stores instead of generic ``setattr`` on an
    instance dict (~185 instructions each), and compiled readers that know the type (the short
    response head) read them without a look-up.  Instances still have a ``__dict__``: users'
    subclasses of ``Request`` and attributes set on a request keep working.
    """

    # Declarations for type checkers (values: the .pxd's C fields, None until set; from
    # source, the class attributes set after this class).
    _head: RequestHead
    _method: str
    _payload: StreamReader
    _protocol: Any
    _cache: dict[str, Any]
    _app: Application | None
    _match_info: UrlMappingMatchInfo | None
    _prepare_hook: Callable[[Any], Any] | None
    _state: dict[Any, Any] | None
    _scheme: str | None
    _host: str | None
    _remote: str | None
    _loop: asyncio.AbstractEventLoop | None
    _task: asyncio.Task[Any] | None  # given by the caller (aiohttp's signature) or None
    _writer: Any  # a test's own writer (make_mocked_request's), else a RequestWriter
    _read_bytes: bytes | None
    _post: MultiDictProxy[Any] | None
    _rel_url: URL | None
    _client_max_size: int
    _client_max_fields: int

    def __init__(
        self,
        head: RequestHead,
        payload: StreamReader,
        protocol: Any,
        writer: Any = None,
        task: asyncio.Task[Any] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        *,
        client_max_size: int = DEFAULT_CLIENT_MAX_SIZE,
        client_max_fields: int = DEFAULT_CLIENT_MAX_FIELDS,
        state: dict[str, Any] | None = None,
        scheme: str | None = None,
        host: str | None = None,
        remote: str | None = None,
        app: Application | None = None,
    ) -> None:
        # writer, task, loop: aiohttp's positional signature; the server passes none of them
        if not isinstance(head, RequestHead):
            head = head_from_message(head)  # an aiohttp RawRequestMessage (tests, ports)
        self._app = app
        self._head = head
        self._method = self._head.method  # (the typed field: a C read when compiled)
        if payload is not EMPTY_PAYLOAD and self._head.headers:
            # Content-Encoding: gzip/deflate/br bodies are decoded as the handler reads them
            payload = decoding_payload(head, payload)  # type: ignore[misc]  # (set by request.py)
        self._payload = payload
        self._protocol = protocol
        self._client_max_size = client_max_size
        self._client_max_fields = client_max_fields
        self._task = task
        self._state = state
        self._scheme = scheme
        self._host = host
        self._remote = remote
        self._loop = loop
        self._cache = {}
        # (_prepare_hook, _writer, _read_bytes, _post, _rel_url, _match_info: None)


if frames_per_call(__file__):  # from source: the fields of a request made by __new__
    for _name in FIELDS:
        setattr(RequestFields, _name, None)
    RequestFields._client_max_size = DEFAULT_CLIENT_MAX_SIZE
    RequestFields._client_max_fields = DEFAULT_CLIENT_MAX_FIELDS


def copy_request(request: _R, head: RequestHead, same_headers: bool, given: dict[str, Any]) -> _R:
    """``request.clone()``: a request of the same class on ``head``, with the ``given`` fields
    (``sentinel``: kept) replaced and its storage (``request[key]``) a copy of the original's."""
    clone = request.__class__.__new__(request.__class__)
    clone.__dict__.update(request.__dict__)
    for name in FIELDS:
        setattr(clone, name, getattr(request, name))
    clone._head = head
    clone._method = head.method
    # Keep what was parsed from unchanged headers (middlewares that only change the remote,
    # scheme or host, such as aioweb.proxy, would otherwise make the handler parse again).
    cache = request._cache
    clone._cache = {k: v for k, v in cache.items() if k in _HEADER_DERIVED} if same_headers else {}
    clone._rel_url = None
    clone._state = dict(request._state) if request._state is not None else None
    for name, value in given.items():
        if value is not sentinel:
            setattr(clone, name, value)
    return clone
