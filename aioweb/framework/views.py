"""Class-based views: one method per HTTP method (``async def get(self)``)."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from aioweb.framework.exceptions import HTTPMethodNotAllowed

if TYPE_CHECKING:
    from aioweb.framework.request import Request

__all__ = ["AbstractView", "View"]

_METHODS = ("CONNECT", "HEAD", "GET", "DELETE", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")


class AbstractView:
    """Base of class-based handlers: constructed with the request, then awaited."""

    def __init__(self, request: Request) -> None:
        self._request = request

    @property
    def request(self) -> Request:
        return self._request

    def __await__(self) -> Generator[Any, None, Any]:
        raise NotImplementedError


class View(AbstractView):
    """Dispatches to the method named after the request's method; 405 when there is none."""

    async def _iter(self) -> Any:

        method = self.request.method
        handler = getattr(self, method.lower(), None) if method in _METHODS else None
        if handler is None and method == "HEAD":
            handler = getattr(self, "get", None)
        if handler is None:
            self._raise_allowed_methods()
        return await handler()  # type: ignore[misc]

    def __await__(self) -> Generator[Any, None, Any]:
        return self._iter().__await__()

    def _raise_allowed_methods(self) -> None:
        allowed = {m for m in _METHODS if hasattr(self, m.lower())}
        if "GET" in allowed:
            allowed.add("HEAD")  # answered by get(), as for routes
        raise HTTPMethodNotAllowed(self.request.method, allowed)
