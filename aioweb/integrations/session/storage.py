"""The storage contract: how a session is found on a request and written to a response.

Every storage keeps *something* in a cookie (the whole encrypted session, or just a key into a
server-side store); this base class owns the cookie attributes so all storages set them alike.
"""

from __future__ import annotations

import abc
import json
import time
from collections.abc import Callable
from typing import Any

from aioweb.http.dates import format_http_date
from aioweb.integrations.session._session import Session
from aioweb.server.log import session_logger as log

__all__ = ("AbstractStorage",)


DEFAULT_COOKIE_NAME = "AIOHTTP_SESSION"
# Browsers silently drop a Set-Cookie whose name+value passes 4096 bytes (RFC 6265 §6.1 sets
# that as the minimum they must keep); a session that big would be lost without a word.
MAX_COOKIE_SIZE = 4096


class AbstractStorage(abc.ABC):
    """Base class of session storages (same constructor as aiohttp_session's).

    ``max_age`` is the cookie lifetime in seconds (``None``: a browser-session cookie);
    ``secure``, ``httponly``, ``samesite``, ``domain`` and ``path`` are the cookie attributes.
    ``encoder``/``decoder`` turn the session dict into text and back (JSON by default).
    """

    def __init__(
        self,
        *,
        cookie_name: str = DEFAULT_COOKIE_NAME,
        domain: str | None = None,
        max_age: int | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool = True,
        samesite: str | None = None,
        encoder: Callable[[object], str] = json.dumps,
        decoder: Callable[[str], Any] = json.loads,
    ) -> None:
        self._cookie_name = cookie_name
        self._cookie_params: dict[str, Any] = {
            "domain": domain,
            "max_age": max_age,
            "path": path,
            "secure": secure,
            "httponly": httponly,
            "samesite": samesite,
        }
        self._max_age = max_age
        self._encoder = encoder
        self._decoder = decoder

    @property
    def cookie_name(self) -> str:
        return self._cookie_name

    @property
    def max_age(self) -> int | None:
        return self._max_age

    @property
    def cookie_params(self) -> dict[str, Any]:
        return self._cookie_params

    def _get_session_data(self, session: Session) -> dict[str, Any]:
        if session.empty:
            return {}
        return {"created": session.created, "session": dict(session)}

    async def new_session(self) -> Session:
        return Session(None, data=None, new=True, max_age=self.max_age)

    @abc.abstractmethod
    async def load_session(self, request: Any) -> Session:
        """Return the request's session; a missing or unreadable one gives a new session."""

    @abc.abstractmethod
    async def save_session(self, request: Any, response: Any, session: Session) -> None:
        """Persist ``session`` and set (or delete) the cookie on ``response``."""

    def load_cookie(self, request: Any) -> str | None:
        cookie: str | None = request.cookies.get(self._cookie_name)
        return cookie

    def _decode(self, text: str) -> dict[str, Any] | None:
        """Decode stored session text; anything malformed counts as no session at all."""
        try:
            data = self._decoder(text)
        except Exception:
            log.warning("cannot decode session data, starting a fresh session")
            return None
        if not isinstance(data, dict):
            log.warning("session data is not an object, starting a fresh session")
            return None
        return data

    def save_cookie(self, response: Any, cookie_data: str, *, max_age: int | None = None) -> None:
        """Set the cookie, or delete it when ``cookie_data`` is empty.

        Cookies travel in the response head, which is gone once the response is prepared: a
        session saved after that would silently not reach the client (a login that does not
        stick, a logout that does not log out), so it fails loudly instead.
        """
        if getattr(response, "prepared", False):
            raise RuntimeError(
                f"cannot save session cookie {self._cookie_name!r}: the response is already "
                "prepared (its headers are sent); touch the session before response.prepare()"
            )
        params = {k: v for k, v in self._cookie_params.items() if v is not None}
        if not cookie_data:
            response.del_cookie(
                self._cookie_name,
                domain=params.get("domain"),
                path=params.get("path", "/"),
            )
            return
        if max_age is not None:
            params["max_age"] = max_age
            # Old clients only understand Expires; both say the same thing (RFC 6265 §5.3).
            # IMF-fixdate, the one HTTP-date form (RFC 6265 §5.1.1 parses it like the dashed
            # Netscape form aiohttp_session writes).
            params["expires"] = format_http_date(time.time() + max_age)
        if len(self._cookie_name) + len(cookie_data) > MAX_COOKIE_SIZE - 1:
            log.warning(
                "session cookie %r is %d bytes; browsers drop cookies over %d bytes",
                self._cookie_name,
                len(cookie_data),
                MAX_COOKIE_SIZE,
            )
        response.set_cookie(self._cookie_name, cookie_data, **params)
