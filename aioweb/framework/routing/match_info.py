"""Match info: what the router found for a request (``request.match_info``).

A dict of the path's variable parts that also carries the route, the application stack of
nested sub-applications, and (for a miss) the HTTP exception to raise.  One is built per
request, so its constructor does as little as it can.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aioweb.framework.exceptions import HTTPException
from aioweb.framework.routing.routes import AbstractRoute, SystemRoute
from aioweb.framework.types import ExpectHandler, Handler

if TYPE_CHECKING:
    from aioweb.framework.app import Application

__all__ = ["MatchInfoError", "UrlMappingMatchInfo", "route_match_info"]


class UrlMappingMatchInfo(dict):  # type: ignore[type-arg]  # (dict[str, str]: see the .pxd)
    """The variable parts of the matched path, plus what the router found for them.

    Compiled, a C type (``match_info.pxd``): the router makes one per request with
    :func:`route_match_info`, and :meth:`_enter_app` binds it to the application, both in C.
    Subclasses (``MatchInfoError``, users') are ordinary Python classes.
    """

    __slots__ = ("_apps", "_current_app", "_frozen", "_route")

    def __init__(self, match_dict: dict[str, str], route: AbstractRoute) -> None:
        if match_dict:  # (a plain route matches nothing: no dict.__init__ call per request)
            dict.update(self, match_dict)
        self._route = route
        self._apps: list[Application] = []
        self._current_app: Application | None = None
        self._frozen = False

    @property
    def handler(self) -> Handler:
        return self._route.handler

    @property
    def route(self) -> AbstractRoute:
        return self._route

    @property
    def expect_handler(self) -> ExpectHandler:
        return self._route.handle_expect_header

    @property
    def http_exception(self) -> HTTPException | None:
        return None

    def get_info(self) -> dict[str, Any]:
        return self._route.get_info()

    @property
    def apps(self) -> tuple[Application, ...]:
        return tuple(self._apps)

    def add_app(self, app: Application) -> None:
        if self._frozen:
            raise RuntimeError("Cannot change apps stack after .freeze() call")
        if self._current_app is None:
            self._current_app = app
        self._apps.insert(0, app)

    @property
    def current_app(self) -> Application | None:
        return self._current_app

    @current_app.setter
    def current_app(self, app: Application) -> None:
        self._current_app = app

    def freeze(self) -> None:
        self._frozen = True

    def _enter_app(self, app: Application) -> list[Application]:
        """``add_app(app)`` then ``freeze()`` (what ``Application._handle`` does with each
        request's match info, in one call): returns the application stack, outermost first."""
        if self._current_app is None:
            self._current_app = app
        self._apps.insert(0, app)
        self._frozen = True
        return self._apps

    def __repr__(self) -> str:
        return f"<MatchInfo {dict.__repr__(self)}: {self._route}>"


def route_match_info(
    route: AbstractRoute, match_dict: dict[str, str] | None = None
) -> UrlMappingMatchInfo:
    """``UrlMappingMatchInfo(match_dict, route)`` for the router, without the type call.

    Still a new object per request: a match info is per request (``current_app`` changes while
    a sub-application's middlewares run; handlers may store into the dict).  Compiled, this is
    an allocation and stores into C fields, where the type call and ``__init__`` were ~1.5k
    instructions of a ~50k request.
    """
    match_info = UrlMappingMatchInfo.__new__(UrlMappingMatchInfo)
    if match_dict:
        for name, value in match_dict.items():  # (compiled: no generic .update call)
            match_info[name] = value
    match_info._route = route
    match_info._apps = []
    match_info._current_app = None
    match_info._frozen = False
    return match_info


class MatchInfoError(UrlMappingMatchInfo):
    __slots__ = ("_exception",)

    def __init__(self, http_exception: HTTPException) -> None:
        self._exception = http_exception
        super().__init__({}, SystemRoute(http_exception))

    @property
    def http_exception(self) -> HTTPException:
        return self._exception

    def __repr__(self) -> str:
        return f"<MatchInfoError {self._exception.status}: {self._exception.reason}>"
