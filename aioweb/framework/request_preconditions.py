"""A request's conditional and range fields as typed attributes: ``If-Modified-Since``,
``If-Unmodified-Since``, ``If-Range`` (dates), ``If-Match``, ``If-None-Match`` (entity tags,
RFC 9110 §13.1) and ``Range`` (RFC 9110 §14.2, one range as a slice).

A mixin of ``BaseRequest``: the parsing lives in the wire layer and these are the names
aiohttp gives it.  Only handlers serving conditional or partial requests read them, so they
are kept off the compiled request module.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from aioweb.http.dates import parse_http_datetime
from aioweb.http.etag import ETag, parse_etags
from aioweb.http.ranges import parse_single_range

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

__all__ = ["PreconditionsMixin"]


class PreconditionsMixin:
    """Each attribute parses its field from ``headers`` on every read: they are rarely read
    twice, so nothing is cached."""

    if TYPE_CHECKING:

        @property
        def headers(self) -> CIMultiDictProxy[str]: ...

    @property
    def if_modified_since(self) -> datetime.datetime | None:
        return parse_http_datetime(self.headers.get("If-Modified-Since"))

    @property
    def if_unmodified_since(self) -> datetime.datetime | None:
        return parse_http_datetime(self.headers.get("If-Unmodified-Since"))

    @property
    def if_range(self) -> datetime.datetime | None:
        return parse_http_datetime(self.headers.get("If-Range"))

    @property
    def if_match(self) -> tuple[ETag, ...] | None:
        return parse_etags(self.headers.get("If-Match"))

    @property
    def if_none_match(self) -> tuple[ETag, ...] | None:
        return parse_etags(self.headers.get("If-None-Match"))

    @property
    def http_range(self) -> slice:
        """The single byte range asked for by ``Range`` as a slice (aiohttp's semantics).

        Raises ``ValueError`` for a header it cannot express as one slice.
        """
        return parse_single_range(self.headers.get("Range"))
