"""Content-Disposition values (RFC 6266, with RFC 8187 ``filename*``): one formatter.

A parameter value that is printable ASCII without ``"``, ``\\`` and ``%`` is sent as it is, in
quotes. Any other value needs care, because receivers disagree on what a quoted string may
hold: old clients read only the plain parameter, current ones prefer the extended one
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
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, Literal
from urllib.parse import quote

__all__ = ["Fallback", "format_disposition"]

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
