"""Media-type and disposition parameters (RFC 9110 §8.3.1, RFC 6266, RFC 2231/8187): one parser.

``Content-Type`` of requests and responses (``content_type``/``charset``), of multipart parts,
and ``Content-Disposition`` of parts all go through :func:`parse_media_type`, so a quoted
``charset="utf\\"8"`` or a ``filename*=`` means the same everywhere.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["parse_media_type"]

_PARAM = re.compile(
    r"""\s*;\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s"]*)\s*""",
    re.DOTALL,
)
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_EXT_VALUE = re.compile(r"([\w\-]*)'[^']*'(.*)", re.DOTALL)


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type/subtype; a=1; b="x y"`` into the lower-cased value and its parameters.

    Parameter names are lower-cased. Quoted strings are unescaped. ``name*=charset''pct`` forms
    (RFC 2231 / RFC 5987, used for non-ASCII file names) are decoded and take precedence over
    the plain parameter of the same name. Malformed trailing parameters are dropped rather than
    failing the whole header, as browsers are not always tidy here.
    """
    head, _, rest = value.partition(";")
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    pos = 0
    rest = ";" + rest if rest else ""
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if m is None:
            break
        pos = m.end()
        name = m.group(1).lower()
        val = m.group(2)
        if val.startswith('"'):
            val = val[1:-1]
            if "\\" in val:
                val = _QUOTED_PAIR.sub(r"\1", val)
        if name.endswith("*"):
            ext = _EXT_VALUE.fullmatch(val)
            if ext is not None:
                charset = ext.group(1) or "utf-8"
                try:
                    extended[name[:-1]] = unquote(ext.group(2), encoding=charset, errors="strict")
                except (LookupError, UnicodeDecodeError):
                    pass
            continue
        params[name] = val
    params.update(extended)
    return head.strip().lower(), params
