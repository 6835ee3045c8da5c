"""Middlewares: the ``@middleware`` marker, old-style factories, and path normalisation."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from yarl import URL

from aioweb.framework.exceptions import HTTPMove, HTTPPermanentRedirect
from aioweb.framework.routing import SystemRoute
from aioweb.framework.types import Handler

if TYPE_CHECKING:
    from aioweb.framework.request import Request

__all__ = ["is_old_style_factory", "middleware", "normalize_path_middleware"]

F = TypeVar("F", bound=Callable[..., Any])


def middleware(func: F) -> F:
    """Mark ``async def mw(request, handler)`` as a (new-style) middleware."""
    func.__middleware_version__ = 1  # type: ignore[attr-defined]
    return func


def is_old_style_factory(candidate: Any) -> bool:
    """Tell a 0.x-era factory ``async def f(app, handler) -> handler`` from a middleware.

    Both take two arguments.  A marked (``@middleware``) function is new-style; otherwise a
    first parameter named ``app`` marks the old factory form, as the 0.17 docs wrote it.
    """
    if getattr(candidate, "__middleware_version__", None) == 1:
        return False
    try:
        params = list(inspect.signature(candidate).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] in ("app", "application")


_SLASHES = re.compile(r"//+")


class _ConflictingFlags(ValueError, AssertionError):
    """``normalize_path_middleware(append_slash=True, remove_slash=True)``."""


def _same_site(path: str) -> str:
    """A redirect path that cannot leave this site.

    ``//evil.example/`` (and ``/\\evil.example/``, which browsers read the same way) in a
    ``Location`` is a network-path reference to another host: an open redirect (the class
    of aiohttp's CVE-2021-21330).  Backslashes are escaped and leading slashes collapsed.
    """
    path = path.replace("\\", "%5C")
    return "/" + path.lstrip("/") if path.startswith("//") else path


def normalize_path_middleware(
    *,
    append_slash: bool = True,
    remove_slash: bool = False,
    merge_slashes: bool = True,
    redirect_class: type[HTTPMove] = HTTPPermanentRedirect,
) -> Callable[..., Any]:
    """Redirect a path that matches no route to its normalised form when that one matches.

    Tried in order: merged slashes, then added (or removed) trailing slash, then both.
    """
    if append_slash and remove_slash:
        # (also an AssertionError: aiohttp asserts here, and code written for it may catch that)
        raise _ConflictingFlags("Cannot both remove and append slash")

    @middleware
    async def impl(request: Request, handler: Handler) -> Any:
        if isinstance(request.match_info.route, SystemRoute):
            path, _, query = request.raw_path.partition("?")  # the query as sent (encoded)
            candidates: list[str] = []
            merged = _SLASHES.sub("/", path)
            if merge_slashes:
                candidates.append(merged)
            if append_slash and not path.endswith("/"):
                candidates.append(path + "/")
                if merge_slashes:
                    candidates.append(merged + "/")
            if remove_slash and path.endswith("/") and path != "/":
                candidates.append(path[:-1])
                if merge_slashes:  # merged first: "/a///" is "/a/", then "/a"
                    candidates.append(merged[:-1])
            for candidate in candidates:
                if candidate == path or not candidate:
                    continue
                clone = request.clone(rel_url=URL.build(path=candidate, encoded=True))
                match_info = await request.app.router.resolve(clone)
                if not isinstance(match_info.route, SystemRoute):
                    target = _same_site(candidate) + ("?" + query if query else "")
                    raise redirect_class(target)
        return await handler(request)

    return impl
