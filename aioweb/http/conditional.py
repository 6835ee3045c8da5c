"""Validators and conditional requests (RFC 9110 §8.8, §13), as pure functions.

Public API::

    ETag, ANY, parse_etag, parse_etag_list, strong_match, weak_match, make_etag
                                       re-exported from ``aioweb.http.etag`` (their one home)
    parse_http_date, format_http_date, to_timestamp
                                       re-exported from ``aioweb.http.dates`` (their one home)
    evaluate_preconditions(method, headers, *, etag, last_modified, exists=True) -> Outcome
                                       Outcome.PROCEED, Outcome.NOT_MODIFIED (304) or
                                       Outcome.PRECONDITION_FAILED (412)
    if_range_matches(value, *, etag, last_modified) -> bool
                                       whether a Range may be honoured under this If-Range

``when``/``last_modified`` may be a number of seconds since the epoch (int or float) or a
``datetime`` (naive datetimes are taken as UTC, which is what GridFS returns). HTTP dates have
one-second resolution, so every comparison truncates the representation's time to whole
seconds first; otherwise a file modified at 12:00:00.7 would never be "not modified since"
the 12:00:00 it was served with.

``headers`` is any mapping with ``get`` (a ``CIMultiDictProxy`` in practice); when it also has
``getall``, repeated header lines are joined with commas as RFC 9110 §5.3 allows.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .dates import format_http_date, parse_http_date, to_timestamp
from .etag import (
    ANY,
    ETag,
    _Any,
    make_etag,
    parse_etag,
    parse_etag_list,
    parse_etags,
    strong_match,
    weak_match,
)

__all__ = [
    "ANY",
    "ETag",
    "Outcome",
    "evaluate_preconditions",
    "format_http_date",
    "if_range_matches",
    "make_etag",
    "parse_etag",
    "parse_etag_list",
    "parse_http_date",
    "strong_match",
    "to_timestamp",
    "weak_match",
]


# --- Preconditions (RFC 9110 §13.2.2) --------------------------------------------------------


class Outcome(enum.IntEnum):
    """Result of evaluating preconditions; the value is the status to send (0: go on)."""

    PROCEED = 0
    NOT_MODIFIED = 304
    PRECONDITION_FAILED = 412


def _header(headers: Mapping[str, str], name: str) -> str | None:
    getall = getattr(headers, "getall", None)
    if getall is not None:
        values: list[str] = getall(name, [])
        if not values:
            return None
        return values[0] if len(values) == 1 else ", ".join(values)
    return headers.get(name)


def evaluate_preconditions(
    method: str,
    headers: Mapping[str, Any],
    *,
    etag: ETag | None,
    last_modified: float | datetime | None,
    exists: bool = True,
) -> Outcome:
    """Evaluate If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since.

    The order is the one RFC 9110 §13.2.2 prescribes, and it matters: a failing If-Match
    wins over a matching If-None-Match, and If-None-Match, when present, makes
    If-Modified-Since be ignored (entity tags are the more precise validator).

    * If-Match uses strong comparison, so a weak ETag never satisfies it; ``*`` is satisfied by
      any existing representation.
    * If-Unmodified-Since is ignored when If-Match is present, when the date is malformed, or
      when the representation has no modification time.
    * If-None-Match uses weak comparison; when it fails, GET and HEAD get 304 and any other
      method 412. A malformed member of its list is skipped rather than voiding the header
      (see ``_parse_none_match``).
    * If-Modified-Since applies only to GET and HEAD, only when If-None-Match is absent, and is
      ignored when malformed or when there is no modification time.

    Range and If-Range (step 5) are evaluated by the caller, after this returns PROCEED.
    """
    lm = None if last_modified is None else to_timestamp(last_modified)

    # 1. If-Match
    if_match = _header(headers, "If-Match")
    parsed_match = None if if_match is None else parse_etag_list(if_match)
    if parsed_match is not None:
        if isinstance(parsed_match, _Any):
            if not exists:
                return Outcome.PRECONDITION_FAILED
        elif etag is None or not any(strong_match(t, etag) for t in parsed_match):
            return Outcome.PRECONDITION_FAILED
    else:
        # 2. If-Unmodified-Since, only without If-Match
        ius = _header(headers, "If-Unmodified-Since")
        if ius is not None and lm is not None:
            date = parse_http_date(ius)
            if date is not None and lm > date:
                return Outcome.PRECONDITION_FAILED

    safe = method == "GET" or method == "HEAD"

    # 3. If-None-Match
    inm = _header(headers, "If-None-Match")
    parsed_none = None if inm is None else _parse_none_match(inm)
    if parsed_none is not None:
        if isinstance(parsed_none, _Any):
            matched = exists
        else:
            matched = etag is not None and any(weak_match(t, etag) for t in parsed_none)
        if matched:
            return Outcome.NOT_MODIFIED if safe else Outcome.PRECONDITION_FAILED
        return Outcome.PROCEED

    # 4. If-Modified-Since, only for GET/HEAD without If-None-Match
    if safe and lm is not None:
        ims = _header(headers, "If-Modified-Since")
        if ims is not None:
            date = parse_http_date(ims)
            if date is not None and lm <= date:
                return Outcome.NOT_MODIFIED
    return Outcome.PROCEED


def _parse_none_match(text: str) -> list[ETag] | _Any | None:
    """If-None-Match's tags, skipping malformed members (None when no tag is left).

    If-Match stays strict (a malformed list voids it), but here leniency is safe: a 304 still
    needs a well-formed tag, sent by the client, that matches the current one, i.e. a client
    that holds this very representation. A stray malformed member (``"a", junk``) thus no
    longer voids the 304 that ``"a"`` earns, and cannot earn one itself. aiohttp reads the
    list this way too.
    """
    if text.strip(" \t") == "*":
        return ANY
    return list(parse_etags(text) or ()) or None


def if_range_matches(
    value: str | None, *, etag: ETag | None, last_modified: float | datetime | None
) -> bool:
    """Whether a Range request may be honoured under its If-Range (RFC 9110 §13.1.5).

    No If-Range at all: True. An entity tag: it must match the current one by *strong*
    comparison (a weak tag never does). An HTTP-date: it must equal the Last-Modified time
    exactly. Anything else, or no validator to compare with: False, meaning "send the whole
    representation with 200", which is always safe for the client.
    """
    if value is None:
        return True
    value = value.strip(" \t")
    if value.startswith(('"', "W/")):
        tag = parse_etag(value)
        return tag is not None and etag is not None and strong_match(tag, etag)
    date = parse_http_date(value)
    if date is None or last_modified is None:
        return False
    return to_timestamp(last_modified) == date
