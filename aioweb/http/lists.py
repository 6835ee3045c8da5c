"""The list syntax of HTTP fields (RFC 9110 §5.6.1): ``#element``.

Elements are separated by commas with optional whitespace around them; empty elements are
ignored; several lines of the same field are one list (§5.3). This is the rule for fields whose
elements cannot contain a quoted comma (X-Forwarded-*, Content-Encoding, Accept-Encoding,
Connection, Transfer-Encoding, Upgrade, Sec-WebSocket-Protocol). The compiled request parser
keeps its own byte loop for Transfer-Encoding (hot path); it follows this rule. Fields whose
parameters may be quoted strings (Sec-WebSocket-Extensions, Cache-Control, Forwarded) are split
by their own quote-aware parsers, not here.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["split_list"]


def split_list(values: str | Iterable[str]) -> list[str]:
    """The non-empty elements of one field value or of several lines of one field, in order."""
    if isinstance(values, str):
        values = (values,)
    out: list[str] = []
    for value in values:
        if "," not in value:  # the common case: one element
            item = value.strip(" \t")
            if item:
                out.append(item)
            continue
        out.extend(item for part in value.split(",") if (item := part.strip(" \t")))
    return out
