"""The framework's callable types, defined once: handlers, middlewares, expect handlers.

Application, routing, the built-in middlewares and the integrations all take or return these;
each used to spell its own alias (``Callable[[Request], Awaitable[Any]]`` in one place,
``...[StreamResponse]`` in another), and the copies had drifted.  The server layer's own,
framework-free ``Handler`` is ``aioweb.server.contract.Handler``.

The request and response classes are imported for type checking only: this module is imported
by modules those classes depend on, and the aliases cost nothing at run time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from aioweb.framework.request import Request
    from aioweb.framework.response import StreamResponse

__all__ = ["ExpectHandler", "Handler", "Middleware", "OldStyleMiddlewareFactory"]

#: A request handler: ``async def handler(request) -> web.StreamResponse``.
Handler: TypeAlias = Callable[["Request"], Awaitable["StreamResponse"]]
#: A new-style middleware: ``@web.middleware async def mw(request, handler) -> response``.
Middleware: TypeAlias = Callable[["Request", Handler], Awaitable["StreamResponse"]]
#: Answers ``Expect:`` before the handler runs; a response returned is sent instead of it.
ExpectHandler: TypeAlias = Callable[["Request"], Awaitable["StreamResponse | None"]]
#: aiohttp's deprecated form: ``async def factory(app, handler) -> handler``.
OldStyleMiddlewareFactory: TypeAlias = Callable[[Any, Handler], Awaitable[Handler]]
