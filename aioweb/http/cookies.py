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


# A cookie name is an RFC 7230 token in principle; real browsers also send ``{``, ``}``, ``/``,
# ``[``... (``ISAWPLB{DB45...}``), so only what cannot be part of any name is refused: controls,
# whitespace, ``=``, ``;``, ``,`` and ``"``.
_BAD_NAME = re.compile(r'[\x00-\x20\x7f",;=]')


def _pairs(value: str) -> list[tuple[str, str | None]]:
    """``value`` split into ``(name, raw value)`` pairs on the ``;`` outside quoted strings
    (``data="a;b"`` is one pair); a pair without ``=`` has the value ``None``."""
    pairs: list[tuple[str, str | None]] = []
    pos, end = 0, len(value)
    while pos < end:
        semi = value.find(";", pos)
        stop = end if semi < 0 else semi
        eq = value.find("=", pos, stop)  # (bounded: each character is scanned about once)
        if eq < 0:
            pairs.append((value[pos:stop].strip(), None))
            pos = stop + 1
            continue
        start = eq + 1
        while start < end and value[start] in " \t":
            start += 1
        if start < end and value[start] == '"':
            close = _closing_quote(value, start + 1)
            if close > 0:
                after = value.find(";", close)
                stop = end if after < 0 else after
        pairs.append((value[pos:eq].strip(), value[start:stop].strip()))
        pos = stop + 1
    return pairs


def _closing_quote(value: str, pos: int) -> int:
    """The index of the ``"`` closing a quoted string that starts before ``pos``, or -1."""
    while pos < len(value):
        char = value[pos]
        if char == "\\":
            pos += 2
            continue
        if char == '"':
            return pos
        pos += 1
    return -1


def parse_cookie_header(value: str, rejected: list[str] | None = None) -> dict[str, str]:
    """``Cookie: a=1; b="two"`` as a dict.  Lenient: a malformed pair is skipped, not fatal.

    A quoted value is unquoted (and may hold ``;``); a name alone (``Secure``) has the empty
    value, as aiohttp reads it (RFC 6265 §5.4: the header holds name-value pairs only, so such
    names are cookies, not attributes). Names that cannot be names are skipped and, when
    ``rejected`` is given, appended to it (the caller decides whether to log them). The first
    of two pairs with one name wins (RFC 6265 §5.4 sends the most specific first).
    """
    cookies: dict[str, str] = {}
    for name, raw in _pairs(value):
        if not name:
            continue
        if _BAD_NAME.search(name):
            if rejected is not None:
                rejected.append(name)
            continue
        val = raw or ""
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1]
            if "\\" in val:
                val = _COOKIE_ESCAPE.sub(_unescape_cookie_char, val)
        cookies.setdefault(name, val)
    return cookies
