"""The cookies a response sets: ``cookies``, ``set_cookie`` and ``del_cookie`` (RFC 6265).

A mixin of ``StreamResponse``: most responses set no cookie, so none of this is on the
compiled hot path; ``StreamResponse._build_head`` only turns the jar into ``Set-Cookie``
fields when there is one.
"""

from __future__ import annotations

from http.cookies import Morsel, SimpleCookie
from typing import Any

from aioweb.framework.response_short import leave_short

__all__ = ["CookiesMixin"]

#: The ``Expires`` ``del_cookie`` writes: a date long past, so the client drops the cookie.
_EXPIRED = "Thu, 01 Jan 1970 00:00:00 GMT"


class CookiesMixin:
    """Cookie jar of a response; the jar is made on first use."""

    _cookies: SimpleCookie | None
    _short: Any

    @property
    def cookies(self) -> SimpleCookie:
        if self._cookies is None:
            self._cookies = SimpleCookie()
            leave_short(self)  # (the caller may be about to add one: not the short path)
        return self._cookies

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        expires: str | None = None,
        domain: str | None = None,
        max_age: int | str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        version: str | None = None,
        samesite: str | None = None,
    ) -> None:
        """Add a ``Set-Cookie`` header (RFC 6265)."""
        cookies = self.cookies
        old = cookies.get(name)
        if old is not None and old.coded_value == "":
            cookies.pop(name, None)  # a deleted cookie set again: forget the deletion
        cookies[name] = value
        morsel: Morsel[str] = cookies[name]
        if expires is not None:
            morsel["expires"] = expires
        elif morsel.get("expires") == _EXPIRED:
            del morsel["expires"]
        if domain is not None:
            morsel["domain"] = domain
        if max_age is not None:
            morsel["max-age"] = str(max_age)
        elif "max-age" in morsel:
            del morsel["max-age"]
        morsel["path"] = path
        if secure is not None:
            morsel["secure"] = secure
        if httponly is not None:
            morsel["httponly"] = httponly
        if version is not None:
            morsel["version"] = version
        if samesite is not None:
            morsel["samesite"] = samesite

    def del_cookie(
        self,
        name: str,
        *,
        domain: str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        samesite: str | None = None,
    ) -> None:
        """Tell the client to drop a cookie: empty value, expired, ``Max-Age=0``."""
        self.cookies.pop(name, None)
        self.set_cookie(
            name,
            "",
            max_age=0,
            expires=_EXPIRED,
            domain=domain,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )
