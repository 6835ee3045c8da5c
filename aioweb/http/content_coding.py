"""Content-coding negotiation (RFC 9110 §12.5.3 ``Accept-Encoding``): which codings the
client accepts, with which preference, and the best one we can produce.

Wire rules, sans-IO: responses (``enable_compression``), file responses (pre-compressed
siblings) and the compression middleware all ask here. The request side too:
:func:`request_codings` reads a request's (or a part's) ``Content-Encoding`` for the body
decoder.
"""

from __future__ import annotations

from collections.abc import Iterable

from .lists import split_list

__all__ = [
    "accepted_codings",
    "available_codings",
    "best_coding",
    "coding_accepted",
    "request_codings",
]


def request_codings(values: str | Iterable[str] | None) -> list[str]:
    """The content codings applied to a body, in the order they were applied (RFC 9110
    §8.4), lower-cased, from one ``Content-Encoding`` value or all its lines (one list,
    §5.3); ``identity`` (which changes nothing) is left out."""
    if values is None:
        return []
    return [c for item in split_list(values) if (c := item.lower()) != "identity"]


try:
    import brotli as _brotli  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    _HAS_BROTLI = False
else:
    _HAS_BROTLI = True


def _zstd_module() -> str | None:
    """Which zstd implementation is importable: Python 3.14's ``compression.zstd``, its
    backport, or ``zstandard``; None when none is."""
    for name in ("compression.zstd", "backports.zstd", "zstandard"):
        try:
            __import__(name)
        except ImportError:
            continue
        return name
    return None


ZSTD_MODULE = _zstd_module()


def available_codings() -> tuple[str, ...]:
    """Codings we can produce, in order of preference.

    zstd comes last: it is chosen when the client prefers it (a higher q) or when it is
    forced, not on a tie, where gzip is the coding every client decodes.
    """
    codings: tuple[str, ...] = ("br", "gzip", "deflate") if _HAS_BROTLI else ("gzip", "deflate")
    return (*codings, "zstd") if ZSTD_MODULE is not None else codings


def accepted_codings(header: str | None) -> dict[str, float]:
    """Content codings and their q-values from Accept-Encoding (RFC 9110 §12.5.3).

    Names are lower-cased; a coding not listed is absent (callers apply ``*``). Malformed or
    out-of-range q-values count as 0: an unreadable preference must not select a coding.
    """
    result: dict[str, float] = {}
    if not header:
        return result
    for item in split_list(header):  # codings and q-values: no quoted strings
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
                if not 0.0 <= q <= 1.0:
                    q = 0.0
        result[name] = q
    return result


def coding_accepted(codings: dict[str, float], coding: str) -> bool:
    q = codings.get(coding)
    if q is None:
        q = codings.get("*", 0.0)
    return q > 0.0


def best_coding(header: str | None, available: tuple[str, ...] | None = None) -> str | None:
    """The coding to use: highest q among those available, our preference breaking ties."""
    codings = accepted_codings(header)
    if not codings:
        return None
    best: str | None = None
    best_q = 0.0
    for coding in available if available is not None else available_codings():
        q = codings.get(coding)
        if q is None:
            q = codings.get("*", 0.0)
        if q > best_q:
            best, best_q = coding, q
    return best
