"""Content-Disposition values (RFC 6266, with RFC 8187 ``filename*``): the formatter and the
parser.

**Formatting.** A parameter value that is printable ASCII without ``"``, ``\\`` and ``%`` is sent
as it is, in quotes. Any other value needs care, because receivers disagree on what a quoted
string may hold: old clients read only the plain parameter, current ones prefer the extended one
(``name*=UTF-8''...``, RFC 8187 §3.2, which any byte survives). So the plain parameter carries
a *fallback* and, when the fallback does not carry the exact value, the extended parameter
follows it (RFC 6266 §4.3 and appendix D). The fallback is the caller's choice:

* ``"replace"`` (HTTP responses, GridFS downloads): each unsafe character becomes ``_``.
  The fallback is lossy, so ``name*`` follows whenever it differs from the value.
* ``"percent"`` (multipart bodies, aiohttp's ``quote_fields=True``): unsafe characters are
  percent-encoded, as browsers and aiohttp's reader expect in form-data. ASCII survives that
  exactly; only a non-ASCII value also gets ``name*`` (its bytes need a charset).
* ``"raw"`` (aiohttp's ``quote_fields=False``, 8-bit clean receivers): the value as it is,
  with ``\\`` doubled and ``"`` percent-encoded so the quoted string stays closed.

Wire rules, sans-IO. The type and parameter names must be tokens, and no value reaches the
field with a CR or LF in it: ``replace`` encodes them like any unsafe character (a stored file
name is data the server does not choose), ``percent`` and ``raw`` refuse them with
``ValueError`` (a form built with a line break in a field is the caller's mistake, as in
aiohttp).

**Parsing** (:func:`parse_content_disposition`, :func:`content_disposition_filename`: aiohttp's
``aiohttp.multipart`` API, for code that reads a Content-Disposition it received). RFC 6266's
grammar is ``disposition-type *( ";" disposition-parm )`` with whitespace allowed around the
separators. What the parser does with a value that breaks it depends on how much is broken:

* the type or the parameter list is unusable (no type, a type that is not a token, a
  parameter without ``=``, an empty parameter, a name given twice, an unquoted value that is
  not a token): the whole value is ignored, ``(None, {})``, with a
  :class:`BadContentDispositionHeader` warning. Guessing there is how two readers of one
  header come to different file names.
* one parameter is unusable (its name is not a token, an ``ext-value`` that does not parse or
  decode, a malformed continuation): that parameter is left out with a
  :class:`BadContentDispositionParam` warning, the others stand.

Quoted strings may hold ``;`` (the split respects them) and quoted pairs (``\\x`` is ``x``).
A ``filename`` loses leading ``/`` and ``\\`` (RFC 6266 §4.3: a recipient must not let the
sender pick a directory). ``name*`` is decoded into a parameter of its own (``"filename*"``);
:func:`content_disposition_filename` prefers it to ``filename`` and joins RFC 2231
continuations (``filename*0``, ``filename*1*``...).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Final, Literal
from urllib.parse import quote, unquote_to_bytes

__all__ = [
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "Fallback",
    "content_disposition_filename",
    "format_disposition",
    "parse_content_disposition",
]

Fallback = Literal["replace", "percent", "raw"]

_TOKEN: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: Characters a quoted fallback may hold as they are: printable ASCII but ``"``, ``\``, ``%``
#: (``%`` so that a percent-decoding receiver cannot turn the fallback into another name).
_SAFE: Final = frozenset(chr(c) for c in range(0x20, 0x7F)) - set('"\\%')
#: RFC 8187 attr-char beyond letters and digits: what an ext-value sends unencoded.
_ATTR_CHAR: Final = "!#$&+-.^_`|~"
#: ``quote``'s ``safe`` for the percent fallback: every _SAFE character (letters, digits and
#: ``_.-~`` are always safe for ``quote``).
_PERCENT_SAFE: Final = "/ !#$&'()*+,:;<=>?@[]^`{|}~"


def format_disposition(
    disptype: str,
    params: Mapping[str, str],
    *,
    fallback: Fallback = "replace",
    charset: str = "UTF-8",
) -> str:
    """``disptype; name="value"; ...`` with each value sent by the rules above.

    ``charset`` is the label and encoding of the extended parameters (the ``percent``
    fallback is UTF-8, what form-data receivers decode). Raises ``ValueError`` for a type or
    parameter name that is not a token, and for CR or LF in a ``percent`` or ``raw`` value.
    """
    if not _TOKEN.fullmatch(disptype):
        raise ValueError(f"bad content disposition type {disptype!r}")
    out = [disptype]
    for key, value in params.items():
        if not _TOKEN.fullmatch(key):
            raise ValueError(f"bad content disposition parameter name {key!r}")
        if fallback != "replace" and ("\r" in value or "\n" in value):
            raise ValueError("CR/LF in Content-Disposition parameter")
        out.extend(_parameter(key, value, fallback, charset))
    return "; ".join(out)


def _parameter(key: str, value: str, fallback: Fallback, charset: str) -> list[str]:
    if fallback == "raw":
        return [f'{key}="{value.replace(chr(92), chr(92) * 2).replace(chr(34), "%22")}"']
    if _SAFE.issuperset(value):
        return [f'{key}="{value}"']
    if fallback == "percent":
        plain = f'{key}="{quote(value, safe=_PERCENT_SAFE)}"'
        if value.isascii():  # percent-decoding gives the exact value back
            return [plain]
    else:
        plain = f'{key}="{"".join(c if c in _SAFE else "_" for c in value)}"'
    return [plain, f"{key}*={charset}''{quote(value, safe=_ATTR_CHAR, encoding=charset)}"]


# --- parsing --------------------------------------------------------------------------------


class BadContentDispositionHeader(RuntimeWarning):
    """A Content-Disposition value ignored whole: its type or parameter list is unusable."""


class BadContentDispositionParam(RuntimeWarning):
    """A Content-Disposition parameter left out; the rest of the value stands."""


#: RFC 8187 ``ext-value``: charset (aiohttp's readers also take it empty: UTF-8), language,
#: then attr-chars and percent-encoded octets only.
_EXT_VALUE: Final = re.compile(
    r"([!#$%&+^_`{}~0-9A-Za-z-]*)'[0-9A-Za-z-]*'((?:%[0-9A-Fa-f]{2}|[!#$&+.^_`|~0-9A-Za-z-])*)"
)
#: RFC 2231 §3 continuation: ``name*0``, ``name*1*``... (digits as sent: ``*01`` is kept,
#: and only read as no continuation of ``*0`` later)
_CONTINUATION: Final = re.compile(r"[^*]+\*[0-9]+\*?")
_QUOTED_PAIR: Final = re.compile(r"\\(.)", re.DOTALL)


def _split(value: str) -> list[str]:
    """``value`` cut at each ``;`` that is not inside a parameter's quoted string.

    A quoted string opens only where a parameter value starts (after ``=`` and whitespace)
    and ends at the next ``"`` that is not escaped, so a ``;`` in a quoted file name does not
    end the parameter.
    """
    parts: list[str] = []
    start = i = 0
    n = len(value)
    value_start = False  # just after "=" (and whitespace): a '"' here opens a quoted string
    while i < n:
        c = value[i]
        if c == ";":
            parts.append(value[start:i])
            start = i + 1
            value_start = False
        elif c == "=":
            value_start = True
        elif c == '"' and value_start:
            i += 1
            while i < n and value[i] != '"':
                i += 2 if value[i] == "\\" else 1
            value_start = False
        elif c not in " \t":
            value_start = False
        i += 1
    parts.append(value[start:])
    return parts


def _unquote(value: str) -> str | None:
    """A token as it is, a quoted string without its quotes and escapes; None for neither.

    A value that starts and ends with ``"`` is read as one quoted string even if a bare ``"``
    sits inside (as aiohttp reads ``""quoting" tested.html"``): the outer quotes still say
    where it ends.
    """
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _QUOTED_PAIR.sub(r"\1", value[1:-1])
    return value if _TOKEN.fullmatch(value) else None


def _decode_ext(value: str) -> str | None:
    """An RFC 8187 ``ext-value`` decoded, or None if it is malformed or does not decode."""
    m = _EXT_VALUE.fullmatch(value)
    if m is None:
        return None
    try:
        return unquote_to_bytes(m.group(2)).decode(m.group(1) or "utf-8")
    except (LookupError, UnicodeDecodeError):  # the charset and the octets are the sender's
        return None


def _bad_header(header: str) -> tuple[None, dict[str, str]]:
    warnings.warn(BadContentDispositionHeader(header), stacklevel=3)
    return None, {}


def parse_content_disposition(header: str | None) -> tuple[str | None, dict[str, str]]:
    """``'attachment; filename="a.txt"'`` -> ``("attachment", {"filename": "a.txt"})``.

    The type and parameter names come back lower-cased; ``name*=`` values decoded, under
    their own key (``"filename*"``); continuation parameters (``filename*0``) as sent, for
    :func:`content_disposition_filename` to join. ``(None, {})`` for no value, and, with a
    warning, for a value that breaks the grammar (see the module's docstring).
    """
    if not header:
        return None, {}
    disptype, *items = _split(header)
    disptype = disptype.strip(" \t")
    if not _TOKEN.fullmatch(disptype):
        return _bad_header(header)
    params: dict[str, str] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        if not eq:  # an empty parameter, or a second type ("inline; attachment")
            return _bad_header(header)
        key = key.strip(" \t").lower()
        if key in params:
            return _bad_header(header)
        raw = raw.strip(" \t")
        value: str | None
        if not _TOKEN.fullmatch(key):
            value = None
        elif _CONTINUATION.fullmatch(key):
            value = _unquote(raw)
        elif key.endswith("*"):
            value = _decode_ext(raw)
        else:
            value = _unquote(raw)
            if value is None:
                return _bad_header(header)
            if key == "filename":
                value = value.lstrip("/\\")
        if value is None:
            warnings.warn(BadContentDispositionParam(item), stacklevel=2)
            continue
        params[key] = value
    return disptype.lower(), params


def content_disposition_filename(params: Mapping[str, str], name: str = "filename") -> str | None:
    """The value of parameter ``name`` from :func:`parse_content_disposition`'s ``params``.

    ``name*`` (RFC 8187, already decoded) wins over ``name``; without either, RFC 2231
    continuations ``name*0``, ``name*1``... are joined in order up to the first gap, a
    ``name*N*`` piece percent-decoded in the charset the first piece names
    (``name*0*=UTF-8''...``). None when there is no such parameter or it does not decode.
    """
    for key in (f"{name}*", name):
        if key in params:
            return params[key]
    pieces: list[tuple[str, bool]] = []
    while True:
        key = f"{name}*{len(pieces)}"
        if key in params:
            pieces.append((params[key], False))
        elif key + "*" in params:
            pieces.append((params[key + "*"], True))
        else:
            break
    if not pieces:
        return None
    if not any(encoded for _, encoded in pieces):
        return "".join(value for value, _ in pieces)
    charset = "utf-8"
    first, encoded = pieces[0]
    if encoded:
        charset, sep, rest = first.partition("'")
        _, sep2, first = rest.partition("'")
        if not (sep and sep2):
            return None
        charset = charset or "utf-8"
        pieces[0] = (first, True)
    try:
        raw = b"".join(
            unquote_to_bytes(value) if enc else value.encode(charset) for value, enc in pieces
        )
        return raw.decode(charset)
    except (LookupError, UnicodeError):
        return None
