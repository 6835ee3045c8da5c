"""Routes: one (method, handler) pair of a resource, and the system route of a miss.

A route holds the handler as registered and as called: coroutine functions and ``View``
classes are called as they are, a plain callable is wrapped so its result is awaited when it
is awaitable (the pre-3.0 aiohttp style).  ``Expect`` is answered here (RFC 9110 §10.1.1).
"""

from __future__ import annotations

import abc
import asyncio
import inspect
import re
import warnings
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from yarl import URL

from aioweb.framework.exceptions import HTTPException, HTTPExpectationFailed
from aioweb.framework.types import ExpectHandler, Handler
from aioweb.framework.views import AbstractView

if TYPE_CHECKING:
    from aioweb.framework.request import Request
    from aioweb.framework.response import StreamResponse
    from aioweb.framework.routing.resources import AbstractResource

__all__ = ["AbstractRoute", "ResourceRoute", "SystemRoute"]

METH_ANY = "*"
METH_ALL = frozenset(
    {"CONNECT", "HEAD", "GET", "DELETE", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)
_METHOD_RE = re.compile(r"^[0-9A-Za-z!#$%&'*+\-.^_`|~]+$")


async def _default_expect_handler(request: Request) -> None:
    """``Expect: 100-continue`` is answered when the handler first waits for the body;
    any other expectation gets ``417`` (RFC 9110 §10.1.1).  The value is echoed escaped to
    ASCII: a non-ASCII byte in it (kept as a lone surrogate) cannot be encoded otherwise."""
    expect = request.headers.get("Expect", "")
    if request.version >= (1, 1):
        if expect.lower() == "100-continue":
            request._protocol.expect_continue(request.content)
        else:
            shown = expect.encode("ascii", "backslashreplace").decode("ascii")
            raise HTTPExpectationFailed(text=f"Unknown Expect: {shown}")


def _wrap_handler(handler: Any) -> Handler:
    """Accept coroutine functions, ``View`` classes and (legacy) plain callables."""
    if inspect.isclass(handler) and issubclass(handler, AbstractView):
        return handler
    if asyncio.iscoroutinefunction(handler):
        return cast(Handler, handler)  # an async def taking the request: what Handler is
    if not callable(handler):
        raise TypeError(f"Only async functions are allowed as web-handlers, got {handler!r}")
    # Still served (awaited if they return an awaitable), with aiohttp's warnings.
    if inspect.isgeneratorfunction(handler):
        warnings.warn(
            "Bare generators are deprecated, use @coroutine wrapper", DeprecationWarning, 2
        )
    else:
        warnings.warn("Bare functions are deprecated, use async ones", DeprecationWarning, 2)

    @wraps(handler)
    async def legacy_handler(request: Request) -> Any:
        result = handler(request)
        if inspect.isawaitable(result):
            result = await result
        return result

    return legacy_handler


class AbstractRoute(abc.ABC):
    """One (method, handler) pair of a resource."""

    def __init__(
        self,
        method: str,
        handler: Any,
        *,
        expect_handler: ExpectHandler | None = None,
        resource: AbstractResource | None = None,
    ) -> None:
        method = method.upper()
        if method != METH_ANY and not _METHOD_RE.match(method):
            raise ValueError(f"{method} is not allowed HTTP method")
        if expect_handler is None:
            expect_handler = _default_expect_handler
        elif not asyncio.iscoroutinefunction(expect_handler):
            raise AssertionError(f"Coroutine is expected, got {expect_handler!r}")
        self._method = method
        self._original_handler = handler
        self._handler = _wrap_handler(handler)
        self._expect_handler = expect_handler
        self._resource = resource

    @property
    def method(self) -> str:
        return self._method

    @property
    def handler(self) -> Handler:
        return self._handler

    @property
    @abc.abstractmethod
    def name(self) -> str | None: ...

    @property
    def resource(self) -> AbstractResource | None:
        return self._resource

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    def url_for(self, *args: str, **kwargs: str) -> URL: ...

    async def handle_expect_header(self, request: Request) -> StreamResponse | None:
        return await self._expect_handler(request)


class ResourceRoute(AbstractRoute):
    """A route that belongs to a resource."""

    def __repr__(self) -> str:
        return f"<ResourceRoute [{self.method}] {self._resource} -> {self.handler!r}"

    @property
    def name(self) -> str | None:
        return self._resource.name if self._resource is not None else None

    def url_for(self, *args: str, **kwargs: str) -> URL:
        assert self._resource is not None
        return self._resource.url_for(*args, **kwargs)

    def get_info(self) -> dict[str, Any]:
        assert self._resource is not None
        return self._resource.get_info()


class SystemRoute(AbstractRoute):
    """The pseudo-route of a request no resource matched: its handler raises 404/405."""

    def __init__(self, http_exception: HTTPException) -> None:
        super().__init__(METH_ANY, self._handle)
        self._http_exception = http_exception

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError(".url_for() is not allowed for SystemRoute")

    @property
    def name(self) -> str | None:
        return None

    def get_info(self) -> dict[str, Any]:
        return {"http_exception": self._http_exception}

    async def _handle(self, request: Request) -> Any:
        raise self._http_exception

    @property
    def status(self) -> int:
        return self._http_exception.status

    @property
    def reason(self) -> str:
        return self._http_exception.reason

    def __repr__(self) -> str:
        return f"<SystemRoute {self.status}: {self.reason}>"
