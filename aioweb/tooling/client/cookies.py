"""The client's cookie jar: cookies set by servers, sent back on later requests."""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import Morsel, SimpleCookie
from typing import Any

from yarl import URL

__all__ = ["CookieJar"]


class CookieJar:
    """Cookies set by servers, sent back on later requests (no domain scoping: the test
    client talks to one server)."""

    def __init__(self, *, unsafe: bool = True) -> None:
        self._cookies: SimpleCookie = SimpleCookie()

    def update_cookies(self, cookies: Mapping[str, Any] | SimpleCookie) -> None:
        for name, value in cookies.items():
            if isinstance(value, Morsel):
                max_age = value.get("max-age")
                expires = value.get("expires")
                if (max_age not in (None, "") and int(max_age) <= 0) or (
                    expires and "1970" in expires
                ):
                    self._cookies.pop(name, None)
                    continue
                self._cookies[name] = value.value
            else:
                self._cookies[name] = str(value)

    def filter_cookies(self, request_url: URL | None = None) -> SimpleCookie:
        return self._cookies

    def clear(self) -> None:
        self._cookies = SimpleCookie()

    def __iter__(self) -> Any:
        return iter(self._cookies.values())

    def __len__(self) -> int:
        return len(self._cookies)
