"""``Application``: the router, middlewares, signals and shared state of a web app."""

from __future__ import annotations

import asyncio
import importlib
import logging
import warnings
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from functools import partial, update_wrapper
from typing import Any, TypeVar, overload

from aioweb._extensions import frames_per_call
from aioweb.framework.helpers import BaseKey, NotAppKeyWarning
from aioweb.framework.lowlevel import Server
from aioweb.framework.middlewares import is_old_style_factory
from aioweb.framework.request import DEFAULT_CLIENT_MAX_FIELDS, DEFAULT_CLIENT_MAX_SIZE, Request
from aioweb.framework.response import StreamResponse
from aioweb.framework.routing import (
    AbstractRouteDef,
    Domain,
    MaskDomain,
    MatchedSubAppResource,
    PrefixedSubAppResource,
    UrlDispatcher,
    UrlMappingMatchInfo,
)
from aioweb.framework.signals import CleanupContext, FrozenList, Signal
from aioweb.framework.types import Handler
from aioweb.http.parser import RequestHead
from aioweb.server.log import web_logger
from aioweb.server.streams import StreamReader

__all__ = ["AppKey", "Application"]


T = TypeVar("T")

# Frames a call into this module adds (0 when compiled): warnings count their stacklevel by it.
_OWN_FRAMES = frames_per_call(__file__)
# ``UrlDispatcher.resolve`` as defined: a plugin that replaces it is noticed at freeze time
_PLAIN_RESOLVE = UrlDispatcher.resolve


class AppKey(BaseKey[T]):
    """A typed key for application storage: ``db_key = web.AppKey("db", Database)``."""

    __slots__ = ()


async def _as_current_app(app: Application, handler: Handler, request: Request) -> StreamResponse:
    """Run ``handler`` with ``app`` as the request's current app (restored afterwards)."""
    match_info = request.match_info
    previous = match_info.current_app
    match_info.current_app = app
    try:
        return await handler(request)
    finally:
        match_info.current_app = previous  # type: ignore[assignment]


class Application(MutableMapping[str | AppKey[Any], Any]):
    """A web application: ``app = web.Application(middlewares=[...])``."""

    _asgi_adapter: Any = None  # built by the first ASGI call (see __call__)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Subclassing is discouraged, as in aiohttp (store state in the app, wrap it, or use
        signals); aioweb's own subclasses (``ASGIApp``) are not warned about."""
        super().__init_subclass__(**kwargs)
        if not cls.__module__.startswith("aioweb."):
            warnings.warn(
                f"Inheritance class {cls.__name__} from web.Application is discouraged",
                DeprecationWarning,
                stacklevel=2 + _OWN_FRAMES,
            )

    def __init__(
        self,
        *,
        logger: logging.Logger = web_logger,
        router: UrlDispatcher | None = None,
        middlewares: Iterable[Any] = (),
        handler_args: dict[str, Any] | None = None,
        client_max_size: int = DEFAULT_CLIENT_MAX_SIZE,
        client_max_fields: int = DEFAULT_CLIENT_MAX_FIELDS,
        loop: asyncio.AbstractEventLoop | None = None,
        debug: bool | None = None,
    ) -> None:
        # aiohttp's deprecations, same category and text. ``debug=`` is not one of them here:
        # it switches on aioweb's debug page (see docs/compat.md).
        if router is not None:
            warnings.warn(
                "router argument is deprecated", DeprecationWarning, stacklevel=1 + _OWN_FRAMES
            )
        if loop is not None:
            warnings.warn(
                "loop argument is deprecated", DeprecationWarning, stacklevel=1 + _OWN_FRAMES
            )
        self._router = router if router is not None else UrlDispatcher()
        self._handler_args = handler_args
        self.logger = logger
        self._middlewares: FrozenList = FrozenList(middlewares)
        self._middleware_plan: list[tuple[Any, bool]] = []
        self._has_old_style = False
        self._chain_cache: dict[Any, Handler] = {}
        self._debug = bool(debug) if debug is not None else False
        self._loop = loop
        self._frozen = False
        self._pre_frozen = False
        self._subapps: list[Application] = []
        self._state: dict[Any, Any] = {}
        self._client_max_size = client_max_size
        self._client_max_fields = client_max_fields  # (aiohttp 3.14: form fields post() takes)
        self._on_response_prepare = Signal(self)
        self._on_startup = Signal(self)
        self._on_shutdown = Signal(self)
        self._on_cleanup = Signal(self)
        self._cleanup_ctx = CleanupContext()
        self._on_startup.append(self._cleanup_ctx._on_startup)
        self._on_cleanup.append(self._cleanup_ctx._on_cleanup)
        self._run_middlewares = True
        self._router_resolve_replaced = False  # (pre_freeze decides)

    # -- storage -------------------------------------------------------------------------

    def _check_frozen(self) -> None:
        if self._frozen:
            warnings.warn(
                "Changing state of started or joined application is deprecated",
                DeprecationWarning,
                stacklevel=1 + 2 * _OWN_FRAMES,  # (this method and __setitem__'s)
            )

    @overload
    def __getitem__(self, key: AppKey[T]) -> T: ...

    @overload
    def __getitem__(self, key: str) -> Any: ...

    def __getitem__(self, key: str | AppKey[T]) -> Any:
        return self._state[key]

    def __setitem__(self, key: str | AppKey[Any], value: Any) -> None:
        self._check_frozen()
        if not isinstance(key, AppKey):
            warnings.warn(
                f"Application key {key!r}: it is recommended to use web.AppKey instances for "
                "keys (a plain key may collide with another library's); see "
                "https://docs.aiohttp.org/en/stable/web_advanced.html#application-s-config",
                NotAppKeyWarning,
                stacklevel=1 + _OWN_FRAMES,
            )
        self._state[key] = value

    def __delitem__(self, key: str | AppKey[Any]) -> None:
        self._check_frozen()
        del self._state[key]

    def __len__(self) -> int:
        return len(self._state)

    def __iter__(self) -> Iterator[str | AppKey[Any]]:
        return iter(self._state)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<Application 0x{id(self):x}>"

    def __call__(self, *asgi: Any) -> Any:
        """gunicorn's ``module:app`` convention may call the app: it returns itself.

        Called as an ASGI application (``uvicorn module:app``) it is served by
        ``aioweb.asgi.to_asgi(app)``, built on the first call and kept: ``app(scope, receive,
        send)`` (ASGI 3), or ``app(scope)`` returning the ``(receive, send)`` callable (ASGI 2:
        what uvicorn and hypercorn call, as this method is not a coroutine function).  The
        adapter is looked up by name: the framework layer never imports an integration, and
        aioweb's own server never loads it.
        """
        if not asgi:
            return self
        adapter = self._asgi_adapter
        if adapter is None:
            integration = importlib.import_module("aioweb.integrations.asgi")
            adapter = self._asgi_adapter = integration.to_asgi(self)
        if len(asgi) == 1:
            return partial(adapter, asgi[0])
        return adapter(*asgi)

    # -- properties ------------------------------------------------------------------------

    @property
    def router(self) -> UrlDispatcher:
        return self._router

    @property
    def middlewares(self) -> FrozenList:
        return self._middlewares

    @property
    def debug(self) -> bool:
        return self._debug

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """Deprecated (as in aiohttp): the loop given to the constructor, else the running one
        (``None`` outside one, as aiohttp's before the app is started)."""
        warnings.warn("loop property is deprecated", DeprecationWarning, stacklevel=1 + _OWN_FRAMES)
        if self._loop is not None:
            return self._loop
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None  # type: ignore[return-value]

    @property
    def on_response_prepare(self) -> Signal:
        return self._on_response_prepare

    @property
    def on_startup(self) -> Signal:
        return self._on_startup

    @property
    def on_shutdown(self) -> Signal:
        return self._on_shutdown

    @property
    def on_cleanup(self) -> Signal:
        return self._on_cleanup

    @property
    def cleanup_ctx(self) -> CleanupContext:
        return self._cleanup_ctx

    @property
    def frozen(self) -> bool:
        return self._frozen

    @property
    def pre_frozen(self) -> bool:
        return self._pre_frozen

    # -- freezing ------------------------------------------------------------------------

    def pre_freeze(self) -> None:
        if self._pre_frozen:
            return
        self._pre_frozen = True
        if self._debug:
            # Debug mode brings the request inspector (localhost only); loaded only then.
            from aioweb.framework.debug import ensure_inspector  # noqa: PLC0415 (debug page: loaded only by Application(debug=True))

            ensure_inspector(self)
        self._middlewares.freeze()
        freeze = getattr(self._router, "freeze", None)  # (a custom router may have none)
        if freeze is not None:
            freeze()
        # A plugin that wraps ``UrlDispatcher.resolve`` (Sentry's aiohttp integration does, to name
        # transactions by route) or a router class overriding it expects it to be called for every
        # request, as aiohttp's ``_handle`` does; the fast path below skips it otherwise.
        self._router_resolve_replaced = type(self._router).resolve is not _PLAIN_RESOLVE
        self._on_response_prepare.freeze()
        self._cleanup_ctx.freeze()
        self._on_startup.freeze()
        self._on_shutdown.freeze()
        self._on_cleanup.freeze()
        self._middleware_plan = [(m, is_old_style_factory(m)) for m in self._middlewares]
        self._has_old_style = any(old for _m, old in self._middleware_plan)
        for m, old_style in self._middleware_plan:
            if old_style:  # once, when the app is frozen (aiohttp warns on every request)
                warnings.warn(
                    f'old-style middleware "{m!r}" deprecated, see #2252',
                    DeprecationWarning,
                    stacklevel=2,
                )
        subapp_middlewares = False
        for subapp in self._subapps:
            subapp.pre_freeze()
            subapp_middlewares = subapp_middlewares or subapp._run_middlewares
        self._run_middlewares = bool(self._middleware_plan) or subapp_middlewares

    def freeze(self) -> None:
        if self._frozen:
            return
        self.pre_freeze()
        self._frozen = True
        for subapp in self._subapps:
            subapp.freeze()

    # -- composition ---------------------------------------------------------------------

    def _reg_subapp_signals(self, subapp: Application) -> None:
        def reg_handler(signame: str) -> None:
            subsig = getattr(subapp, signame)

            async def handler(app: Application) -> None:
                await subsig.send(subapp)

            getattr(self, signame).append(handler)

        reg_handler("on_startup")
        reg_handler("on_shutdown")
        reg_handler("on_cleanup")

    def _check_subapp(self, subapp: Application) -> None:
        if self._frozen:
            raise RuntimeError("Cannot add sub application to frozen application")
        if subapp.frozen:
            raise RuntimeError("Cannot add frozen application")

    def add_subapp(self, prefix: str, subapp: Application) -> PrefixedSubAppResource:
        """Mount ``subapp`` under ``prefix`` (its routes, middlewares and signals)."""
        if not isinstance(prefix, str):
            raise TypeError("Prefix must be str")
        prefix = prefix.rstrip("/")
        if not prefix:
            raise ValueError("Prefix cannot be empty")
        if not prefix.startswith("/"):
            raise ValueError("Prefix should start with /")
        self._check_subapp(subapp)
        resource = PrefixedSubAppResource(prefix, subapp)
        self.router.register_resource(resource)
        self._reg_subapp_signals(subapp)
        self._subapps.append(subapp)
        subapp.pre_freeze()
        return resource

    def add_domain(self, domain: str, subapp: Application) -> MatchedSubAppResource:
        """Serve ``subapp`` for requests whose ``Host`` is ``domain`` (``*.x.com`` masks)."""
        if not isinstance(domain, str):
            raise TypeError("Domain must be str")
        self._check_subapp(subapp)
        rule: Domain = MaskDomain(domain) if "*" in domain else Domain(domain)
        resource = MatchedSubAppResource(rule, subapp)
        self.router.register_resource(resource)
        self._reg_subapp_signals(subapp)
        self._subapps.append(subapp)
        subapp.pre_freeze()
        return resource

    def add_routes(self, routes: Iterable[AbstractRouteDef]) -> list[Any]:
        return self.router.add_routes(routes)

    # -- lifecycle -----------------------------------------------------------------------

    async def startup(self) -> None:
        await self.on_startup.send(self)

    async def shutdown(self) -> None:
        await self.on_shutdown.send(self)

    async def cleanup(self) -> None:
        if self.on_cleanup.frozen:
            await self.on_cleanup.send(self)
        else:
            await self._cleanup_ctx._on_cleanup(self)

    async def finish(self) -> None:
        """The 0.17-era name of :meth:`cleanup`."""
        if not self._frozen:
            self.freeze()
        await self.cleanup()

    def make_handler(
        self,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        access_log_class: Any = None,
        **kwargs: Any,
    ) -> Any:
        """A protocol factory for ``loop.create_server`` (the pre-``AppRunner`` API).

        Startup signals are not sent here; call ``await app.startup()`` yourself when you
        use them, and ``await handler.shutdown()`` plus ``await app.cleanup()`` at the end.
        """

        if loop is not None:
            self._loop = loop
        self.freeze()
        if access_log_class is not None:
            kwargs["access_log_class"] = access_log_class
        if self._handler_args:  # Application(handler_args=...) wins, as in aiohttp
            kwargs.update(self._handler_args)
        return Server(
            self._handle,
            request_factory=self._request_factory(),
            loop=loop,
            debug=self._debug,
            **kwargs,
        )

    # -- request handling ----------------------------------------------------------------

    def _request_factory(self) -> Callable[[RequestHead, StreamReader, Any], Request]:
        """``_make_request``, or the same call without its Python frame when not overridden."""
        if type(self)._make_request is Application._make_request:
            limits: dict[str, Any] = {}  # (only the keywords that differ from the defaults)
            if self._client_max_size != DEFAULT_CLIENT_MAX_SIZE:
                limits["client_max_size"] = self._client_max_size
            if self._client_max_fields != DEFAULT_CLIENT_MAX_FIELDS:
                limits["client_max_fields"] = self._client_max_fields
            return partial(Request, app=self, **limits)
        return self._make_request

    def _make_request(self, head: RequestHead, payload: StreamReader, protocol: Any) -> Request:
        return Request(
            head,
            payload,
            protocol,
            app=self,
            client_max_size=self._client_max_size,
            client_max_fields=self._client_max_fields,
        )

    def _handle(self, request: Request) -> Awaitable[StreamResponse]:
        """Route ``request``; returns what to await for its response.

        That is the handler's own coroutine (wrapped in the cached middleware chain) unless
        an ``Expect`` header or a chain not built yet needs awaiting first: one coroutine
        layer fewer per request.  The server checks that a response came back.
        """
        if self._router_resolve_replaced:
            return self._handle_resolved(request)
        path = request._head.simple_path  # (request._routing_path, found by the parser)
        match_info: UrlMappingMatchInfo = self._router._resolve_path(
            request, request._routing_path if path is None else path, request._method
        )
        apps = match_info._enter_app(self)  # add_app(self) and freeze(), in one C call
        request._match_info = match_info
        for app in apps:
            if app._on_response_prepare:
                request._prepare_hook = request._send_prepare_signals
                break
        if request._head.expect is not None:
            return self._handle_expecting(request, match_info, apps)
        handler = match_info._route.handler
        if self._run_middlewares:
            chain = self._chain_cache.get((handler, *apps))  # (_cached_chain, inlined)
            if chain is None:
                return self._handle_expecting(request, match_info, apps)
            handler = chain
        return handler(request)

    async def _handle_resolved(self, request: Request) -> StreamResponse:
        """:meth:`_handle` through the router's own (replaced) ``resolve``, awaited."""
        match_info = await self._router.resolve(request)
        match_info.add_app(self)
        match_info.freeze()
        request._match_info = match_info
        if any(app._on_response_prepare for app in match_info._apps):
            request._prepare_hook = request._send_prepare_signals
        return await self._handle_expecting(request, match_info, match_info._apps)

    async def _handle_expecting(
        self, request: Request, match_info: UrlMappingMatchInfo, apps: list[Application]
    ) -> StreamResponse:
        """The awaiting path of :meth:`_handle`: ``Expect`` answered, middlewares built."""
        if request._head.expect is not None:
            expect = await match_info.expect_handler(request)
            if expect is not None:
                return expect
        handler = match_info._route.handler
        if self._run_middlewares:
            handler = await self._with_middlewares(handler, apps)
        return await handler(request)

    def _cached_chain(self, handler: Handler, apps: list[Application]) -> Handler | None:
        """The middleware chain around ``handler`` if built before (never for old-style)."""
        return self._chain_cache.get((handler, *apps))

    async def _with_middlewares(self, handler: Handler, apps: list[Application]) -> Handler:
        """Wrap ``handler`` in the middlewares of ``apps``, outermost app first.

        New-style chains are built once per (handler, apps) and cached; old-style factories
        are awaited per request, as their contract allowed them to be.
        """
        cacheable = not any(app._has_old_style for app in apps)
        if cacheable:
            cached = self._cached_chain(handler, apps)
            if cached is not None:  # (an Expect request; others looked in _handle)
                return cached
        wrapped = handler
        # With sub-apps, ``request.app`` (``match_info.current_app``) is, as in aiohttp, the
        # app whose middleware is running, and the innermost app in the handler.
        fix_current = len(apps) > 1
        for app in reversed(apps):
            for m, old_style in reversed(app._middleware_plan):
                if old_style:
                    wrapped = await m(app, wrapped)
                else:
                    wrapped = update_wrapper(partial(m, handler=wrapped), wrapped)
            if fix_current:
                wrapped = update_wrapper(partial(_as_current_app, app, wrapped), wrapped)
        if cacheable:
            self._chain_cache[(handler, *apps)] = wrapped
        return wrapped
