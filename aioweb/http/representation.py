"""The representation planner: what to answer to a GET/HEAD of a stored representation.

Both file servers (``FileResponse`` and the GridFS handler) describe what they hold as a
:class:`Representation` and ask :func:`plan_representation` for a :class:`Plan`; they only
carry it out (set and drop the named fields, send the segments). So the RFC 9110 order —
preconditions (§13.2.2) → 304 / 412 → If-Range / Range (§13.1.5, §14.2) → 416 → 200 / 206,
single or ``multipart/byteranges`` — and the rule for which fields a bodiless answer keeps are
written once. Sans-IO: no file, socket or asyncio here.

Fields on bodiless answers (one rule for both servers):

* **304** (RFC 9110 §15.4.5) keeps what a cache needs to update its stored response —
  ``Cache-Control``, ``Content-Location``, ``Date``, ``ETag``, ``Expires``, ``Last-Modified``,
  ``Vary`` — and any field that is not about the representation (``Set-Cookie``, an
  application's own fields). It drops :data:`REPRESENTATION_FIELDS` and ``Accept-Ranges``: the
  304 has no content those would describe, and a cache would otherwise overwrite the stored
  values with them.
* **412 / 416** are answers of their own with an empty body (``Content-Length: 0``): the
  selected representation's metadata (:data:`REPRESENTATION_FIELDS`) is dropped, the validators
  and caching fields stay, and a 416 carries ``Content-Range: bytes */N`` (§15.5.17).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from .conditional import Outcome, evaluate_preconditions, if_range_matches
from .etag import ETag
from .ranges import (
    MAX_RANGES,
    ByteRange,
    RangeNotSatisfiable,
    build_byteranges,
    parse_range,
    unsatisfied_content_range,
)

__all__ = [
    "NOT_MODIFIED_KEEPS",
    "REPRESENTATION_FIELDS",
    "Plan",
    "Representation",
    "plan_representation",
]

#: Metadata about the selected representation's content (RFC 9110 §8), which no bodiless
#: answer carries.
REPRESENTATION_FIELDS: Final = frozenset(
    {
        "Content-Type",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Range",
        "Content-Disposition",
    }
)
#: What a 304 must repeat from the 200 it stands for (RFC 9110 §15.4.5; Last-Modified as the
#: fallback validator).
NOT_MODIFIED_KEEPS: Final = frozenset(
    {"Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Last-Modified", "Vary"}
)
_NOT_MODIFIED_DROPS: Final = REPRESENTATION_FIELDS | {"Accept-Ranges"}
_SAFE: Final = frozenset({"GET", "HEAD"})


@dataclass(frozen=True, slots=True)
class Representation:
    """What a server holds: its size, validators and type.

    ``ranges`` is False when the body will be transformed on the fly (compressed), so byte
    positions in it are not those of the stored bytes: no ranges are served or advertised.
    ``last_modified`` is epoch seconds or a datetime (naive = UTC); it is compared in whole
    seconds.
    """

    length: int
    etag: ETag | None
    last_modified: float | datetime | None
    content_type: str
    ranges: bool = True


@dataclass(frozen=True, slots=True)
class Plan:
    """What to send: the status, the fields to set and to drop, and the body as segments.

    ``segments`` are ``ByteRange`` (copy these bytes of the representation) and ``bytes``
    (multipart framing, sent as is); empty for a bodiless status. ``content_length`` is the
    body's exact size (None for a 304, which has none). ``ranges`` are the byte ranges served
    (None: the whole representation).
    """

    status: int
    set_headers: tuple[tuple[str, str], ...]
    drop_headers: frozenset[str]
    segments: tuple[bytes | ByteRange, ...]
    content_length: int | None
    ranges: tuple[ByteRange, ...] | None = None
    bodiless: bool = False  # a 304, 412 or 416 decided here (not the application's status)

    def apply(self, headers: Any) -> None:
        """Drop, then set, the plan's fields on a (case-insensitive) header mapping."""
        for name in self.drop_headers:
            headers.pop(name, None)
        for name, value in self.set_headers:
            headers[name] = value


def _bodiless(status: int, extra: tuple[tuple[str, str], ...] = ()) -> Plan:
    if status == 304:
        return Plan(304, (), _NOT_MODIFIED_DROPS, (), None, bodiless=True)
    drop = REPRESENTATION_FIELDS - {"Content-Length", "Content-Range"}
    return Plan(status, (("Content-Length", "0"), *extra), drop, (), 0, bodiless=True)


def plan_representation(
    method: str,
    request_headers: Mapping[str, Any],
    rep: Representation,
    *,
    status: int = 200,
    max_ranges: int = MAX_RANGES,
    boundary: str | None = None,
) -> Plan:
    """Decide the answer to ``method`` with ``request_headers`` for ``rep``.

    ``status`` is the status the application chose; ranges are served only for 200, only for
    GET and HEAD, and only when ``rep.ranges``. ``Accept-Ranges: bytes`` is advertised under
    the same conditions (except the method), on every answer but a 304.
    """
    outcome = evaluate_preconditions(
        method, request_headers, etag=rep.etag, last_modified=rep.last_modified
    )
    rangeable = rep.ranges and status == 200
    advertise: tuple[tuple[str, str], ...] = (("Accept-Ranges", "bytes"),) if rangeable else ()
    if outcome is Outcome.NOT_MODIFIED:
        return _bodiless(304)
    if outcome is Outcome.PRECONDITION_FAILED:
        return _bodiless(412, advertise)

    length = rep.length
    ranges: list[ByteRange] | None = None
    range_header = request_headers.get("Range")
    if (
        rangeable
        and range_header is not None
        and method in _SAFE
        and if_range_matches(
            request_headers.get("If-Range"), etag=rep.etag, last_modified=rep.last_modified
        )
    ):
        try:
            ranges = parse_range(range_header, length, max_ranges=max_ranges)
        except RangeNotSatisfiable:
            return _bodiless(
                416, (*advertise, ("Content-Range", unsatisfied_content_range(length)))
            )

    if ranges is None:
        whole: tuple[bytes | ByteRange, ...] = (ByteRange(0, length),) if length else ()
        return Plan(status, advertise, frozenset(), whole, length)
    if len(ranges) == 1:
        r = ranges[0]
        fields = (*advertise, ("Content-Range", r.content_range(length)))
        return Plan(206, fields, frozenset(), (r,), r.length, (r,))
    body = build_byteranges(ranges, length, rep.content_type, boundary)
    fields = (*advertise, ("Content-Type", body.content_type))
    return Plan(
        206, fields, frozenset(), tuple(body.segments()), body.content_length, tuple(ranges)
    )
