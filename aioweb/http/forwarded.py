"""Parsing of the RFC 7239 ``Forwarded`` header into a tuple of read-only mappings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["parse_forwarded"]


def _split_quoted(value: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            current.append(ch)
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        out: list[str] = []
        escaped = False
        for ch in inner:
            if escaped:
                out.append(ch)
                escaped = False
            elif ch == "\\":
                escaped = True
            else:
                out.append(ch)
        return "".join(out)
    return value


def parse_forwarded(headers: Iterable[str]) -> tuple[Mapping[str, str], ...]:
    """One mapping per forwarded element (hop), in order; malformed pairs are skipped."""
    elements: list[Mapping[str, str]] = []
    for header in headers:
        for element in _split_quoted(header, ","):
            pairs: dict[str, str] = {}
            for pair in _split_quoted(element, ";"):
                name, eq, value = pair.strip().partition("=")
                name = name.strip().lower()
                if not eq or not name:
                    continue
                pairs.setdefault(name, _unquote(value.strip()))
            elements.append(MappingProxyType(pairs))
    return tuple(elements)
