"""HTTP-dates (RFC 9110 §5.6.7): the one strict parser and the one formatter of the wire layer.

Every place that reads or writes an HTTP-date goes through here: the conditional-request
rules and the representation planner (epoch seconds), the framework's aiohttp-style
properties (``request.if_modified_since``, ``response.last_modified``: aware datetimes, via
:func:`parse_http_datetime`), the writer's cached ``Date`` header and the session cookie's
``Expires``. One parser means a date the file server ignores is also one the request
properties report as absent, instead of the two disagreeing about, say, a ``+0100`` zone.

Public API::

    parse_http_date(text) -> int | None          strict: the three RFC forms, GMT only
    parse_http_datetime(text) -> datetime | None the same, as an aware UTC datetime;
                                                 lenient=True: also RFC 5322 date-times
    format_http_date(when) -> str                IMF-fixdate, the only form a sender may send
    to_timestamp(when) -> int                    whole seconds (naive datetimes are UTC);
                                                 round_up=True: a fraction counts as a second

Strict and lenient reading have different jobs. A date a *peer* sent (``If-Modified-Since``,
``If-Range``) is read strictly: RFC 9110 §13.1.3 says an invalid one makes the condition be
ignored, and a guess would answer 304 where the client has no copy. A date the *application*
set on its own response (``response.last_modified = "Mon, 2 Jan 1990 ..."``) is read back
leniently, as aiohttp does: the program wrote it and expects its property to say when.
"""

from __future__ import annotations

import re
import time
from calendar import timegm
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_tz
from typing import Final

__all__ = ["format_http_date", "parse_http_date", "parse_http_datetime", "to_timestamp"]


_DAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
_MONTH_NUM: Final = {m: i + 1 for i, m in enumerate(_MONTHS)}

_T = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
_MON = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
_IMF = re.compile(rf"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{{2}}) {_MON} ([0-9]{{4}}) {_T} GMT")
# obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
_RFC850 = re.compile(
    r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), "
    rf"([0-9]{{2}})-{_MON}-([0-9]{{2}}) {_T} GMT"
)
# obsolete asctime: Sun Nov  6 08:49:37 1994
_ASCTIME = re.compile(rf"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) {_MON} ([ 0-9][0-9]) {_T} ([0-9]{{4}})")


def _timestamp(year: int, month: int, day: int, hh: int, mm: int, ss: int) -> int | None:
    if not (1 <= day <= 31 and hh <= 23 and mm <= 59 and ss <= 60):
        return None
    try:
        datetime(year, month, day)  # rejects 31 Feb and friends
    except ValueError:
        return None
    return timegm((year, month, day, hh, mm, min(ss, 59), 0, 0, 0))


def parse_http_date(text: str) -> int | None:
    """Seconds since the epoch for an HTTP-date, or None when it is not one.

    All three forms RFC 9110 §5.6.7 requires recipients to accept are parsed; anything else
    (including a trailing comment or a zone other than GMT) is rejected, because the
    conditional-request rules say a malformed date makes the header be ignored, not guessed at.
    Two-digit RFC 850 years are read as the most recent year ending in those digits that is
    not more than 50 years in the future (RFC 9110 §5.6.7).
    """
    text = text.strip(" \t")
    m = _IMF.fullmatch(text)
    if m is not None:
        _, d, mon, y, hh, mm, ss = m.groups()
        return _timestamp(int(y), _MONTH_NUM[mon], int(d), int(hh), int(mm), int(ss))
    m = _RFC850.fullmatch(text)
    if m is not None:
        _, d, mon, yy, hh, mm, ss = m.groups()
        this_year = time.gmtime().tm_year
        year = this_year - this_year % 100 + int(yy)
        if year > this_year + 50:
            year -= 100
        return _timestamp(year, _MONTH_NUM[mon], int(d), int(hh), int(mm), int(ss))
    m = _ASCTIME.fullmatch(text)
    if m is not None:
        _, mon, d, hh, mm, ss, y = m.groups()
        if d[0] == " " and d[1] == " ":
            return None
        return _timestamp(int(y), _MONTH_NUM[mon], int(d), int(hh), int(mm), int(ss))
    return None


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = timedelta(seconds=1)


def to_timestamp(when: float | datetime, *, round_up: bool = False) -> int:
    """Whole seconds since the epoch; naive datetimes are UTC (as pymongo returns them).

    A fraction of a second is dropped, or with ``round_up`` counts as a whole one: a
    ``Last-Modified`` rounded up is never earlier than the change it reports, so a client
    holding the older second does not keep a copy older than the resource (aiohttp's
    ``last_modified`` rounds up, for datetimes and timestamps alike). Datetimes are counted
    in whole microseconds, so ``x.5`` seconds rounds the same as a datetime or a float.
    """
    if isinstance(when, datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        whole, rest = divmod(when - _EPOCH, _SECOND)
        return int(whole) + (1 if round_up and rest else 0)
    whole_seconds = int(when // 1)
    return whole_seconds + (1 if round_up and when != whole_seconds else 0)


def format_http_date(when: float | datetime, *, round_up: bool = False) -> str:
    """The IMF-fixdate form of a time, the only form a sender may generate."""
    t = time.gmtime(to_timestamp(when, round_up=round_up))
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def parse_http_datetime(text: str | None, *, lenient: bool = False) -> datetime | None:
    """An HTTP-date as an aware UTC ``datetime`` (aiohttp's property type); None when absent
    or not one of the three forms :func:`parse_http_date` accepts.

    ``lenient`` also reads the RFC 5322 date-times mail and hand-written code produce
    (a one-digit day, no weekday, a numeric zone such as ``+0100``, applied), for values
    the application set itself; anything that is no calendar time is still None.
    """
    if not text:
        return None
    seconds = parse_http_date(text)
    if seconds is not None:
        return datetime.fromtimestamp(seconds, UTC)
    return _parse_lenient(text) if lenient else None


def _parse_lenient(text: str) -> datetime | None:
    fields = parsedate_tz(text)
    if fields is None:
        return None
    year, month, day, hh, mm, ss = fields[:6]
    offset = fields[9] or 0  # no zone, or -0000 ("unknown"): read as UTC
    ss = 59 if ss == 60 else ss  # a leap second, as the strict parser reads it
    try:
        return datetime(year, month, day, hh, mm, ss, tzinfo=UTC) - timedelta(seconds=offset)
    except (ValueError, OverflowError):  # 31 Feb, second 80, year 4446413...
        return None
