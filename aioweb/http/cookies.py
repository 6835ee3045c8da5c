"""The ``Cookie`` request header field (RFC 6265 §5.4) read into names and values.

Sans-IO: a string in, a dict out.  ``BaseRequest.cookies`` is its user.
"""

from __future__ import annotations

import re

__all__ = ["parse_cookie_header"]

# Inside a quoted cookie value, ``Set-Cookie`` as written by ``http.cookies`` (and so by
# ``response.set_cookie``) escapes ``"`` and ``\`` with a backslash and other special characters
# as 3-digit octal (``,`` -> ``\054``): undo both so a value reads back as it was set.
_COOKIE_ESCAPE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))")


def _unescape_cookie_char(match: re.Match[str]) -> str:
    octal, char = match.groups()
    return chr(int(octal, 8)) if octal else char


def parse_cookie_header(value: str) -> dict[str, str]:
    """``Cookie: a=1; b="two"`` as a dict.  Lenient: a malformed pair is skipped, not fatal.

    The first of two pairs with one name wins (RFC 6265 §5.4 sends the most specific first).
    """
    cookies: dict[str, str] = {}
    for item in value.split(";"):
        name, eq, val = item.partition("=")
        name = name.strip()
        if not eq or not name:
            continue
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1]
            if "\\" in val:
                val = _COOKIE_ESCAPE.sub(_unescape_cookie_char, val)
        cookies.setdefault(name, val)
    return cookies
