"""Representation fields of a response as attributes: ``content_length``, ``content_type``,
``charset``, ``last_modified``, ``etag`` (RFC 9110 §8), and ``Response``'s ``body``/``text``.

Mixins of ``StreamResponse`` and ``Response``: each attribute reads or writes its header
field in ``_headers``, so the headers stay the one record of what is sent.  The compiled hot
path writes those fields directly and never comes through here.
"""

from __future__ import annotations

import datetime
import warnings
from typing import Any

from multidict import CIMultiDict, istr

from aioweb.framework.helpers import parse_mimetype_params
from aioweb.framework.response_body import to_payload
from aioweb.http.dates import format_http_date, parse_http_datetime
from aioweb.http.etag import ETag, format_etag, parse_etag
from aioweb.http.writer import serialize_head, status_line

__all__ = ["BodyFieldsMixin", "OutputLengthMixin", "RepresentationFieldsMixin"]

_CONTENT_TYPE = istr("Content-Type")
_CONTENT_LENGTH = istr("Content-Length")


class OutputLengthMixin:
    """aiohttp's deprecated ``output_length``, kept for code that still reads it.

    aiohttp counts the bytes its writer was handed; aioweb's responses keep no such counter
    (a count per write would cost every response for one deprecated property), so the value
    is worked out when asked: the head as sent, its headers being final once prepared, plus
    the body bytes written (before compression and chunk framing).
    """

    _req: Any
    _head: bytes | None
    _headers: CIMultiDict[str]
    _status: int
    _reason: str | None
    _body_length: int

    @property
    def output_length(self) -> int:
        warnings.warn("output_length is deprecated", DeprecationWarning, stacklevel=2)
        request = self._req
        if request is None:
            raise RuntimeError("output_length of a response not prepared yet")
        head = self._head
        if head is None:
            version = "1.1" if tuple(request.version) >= (1, 1) else "1.0"
            head = serialize_head(
                status_line(version, self._status, self._reason), self._headers.items()
            )
        return len(head) + self._body_length


class RepresentationFieldsMixin(OutputLengthMixin):
    """The header fields that describe the body, as typed attributes."""

    _headers: CIMultiDict[str]
    _chunked: bool

    @property
    def content_length(self) -> int | None:
        value = self._headers.get(_CONTENT_LENGTH)
        return int(value) if value is not None else None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is not None:
            value = int(value)
            if self._chunked:
                raise RuntimeError("You can't set content length when chunked encoding is enabled")
            self._headers[_CONTENT_LENGTH] = str(value)
        else:
            self._headers.pop(_CONTENT_LENGTH, None)

    @property
    def content_type(self) -> str:
        raw = self._headers.get(_CONTENT_TYPE)
        if raw is None:
            return "application/octet-stream"
        mimetype = parse_mimetype_params(raw)[0]
        # "jpeg" is no type/subtype: read as what a recipient assumes for an unknown type
        return mimetype if "/" in mimetype else "application/octet-stream"

    @content_type.setter
    def content_type(self, value: str) -> None:
        charset = self.charset if _CONTENT_TYPE in self._headers else None
        self._set_content_type(str(value), charset)

    @property
    def charset(self) -> str | None:
        raw = self._headers.get(_CONTENT_TYPE)
        if raw is None:
            return None
        return parse_mimetype_params(raw)[1].get("charset")

    @charset.setter
    def charset(self, value: str | None) -> None:
        ctype = self.content_type
        if ctype == "application/octet-stream" and value is not None:
            raise RuntimeError(
                "Setting charset for application/octet-stream doesn't make sense, "
                "setup content_type first"
            )
        self._set_content_type(ctype, value.lower() if value else None)

    def _set_content_type(self, ctype: str, charset: str | None) -> None:
        self._headers[_CONTENT_TYPE] = f"{ctype}; charset={charset}" if charset else ctype

    @property
    def last_modified(self) -> datetime.datetime | None:
        """``Last-Modified`` as an aware UTC datetime, None when absent or no date.

        Read leniently (``"Mon, 2 Jan 1990 03:04:05 GMT"`` too, as aiohttp): the value is
        the application's own, set as a string or by the setter below.
        """
        return parse_http_datetime(self._headers.get("Last-Modified"), lenient=True)

    @last_modified.setter
    def last_modified(self, value: float | int | datetime.datetime | str | None) -> None:
        """A datetime or timestamp is sent rounded *up* to the second (never earlier than
        the change it stands for: see ``to_timestamp``); a string is sent as given."""
        if value is None:
            self._headers.pop("Last-Modified", None)
        elif isinstance(value, (int, float, datetime.datetime)):
            self._headers["Last-Modified"] = format_http_date(value, round_up=True)
        elif isinstance(value, str):
            self._headers["Last-Modified"] = value
        else:
            raise TypeError(f"Unsupported type for last_modified: {type(value).__name__}")

    @property
    def etag(self) -> Any:
        raw = self._headers.get("ETag")
        if raw == "*":
            return ETag("*")
        return None if raw is None else parse_etag(raw)

    @etag.setter
    def etag(self, value: Any) -> None:
        if value is None:
            self._headers.pop("ETag", None)
            return

        if isinstance(value, ETag):
            if not isinstance(value.value, str):  # (ETag is built without checks)
                raise ValueError(f"Unsupported etag type: {type(value.value)}")
            tag = value
        elif isinstance(value, str):
            tag = ETag._make((value, False))  # checked by format_etag below
        else:
            raise ValueError(f"Unsupported etag type: {type(value)}")
        if tag.value == "*":
            self._headers["ETag"] = "*"
            return
        try:
            self._headers["ETag"] = format_etag(tag)
        except ValueError:
            raise ValueError(
                f"ETag value {tag.value!r} is not a valid etag (quotes are added when sent)"
            ) from None


class BodyFieldsMixin(RepresentationFieldsMixin):
    """``Response``'s whole body as ``body`` (bytes) or ``text`` (decoded with ``charset``)."""

    _body: bytes | None
    _payload: Any
    _plain_version: int

    @property
    def body(self) -> Any:
        """The body: bytes, or the ``Payload`` a non-bytes body was wrapped in."""
        payload = self._payload
        return payload if payload is not None else self._body

    @body.setter
    def body(self, body: Any) -> None:
        if self._payload is not None:  # (rare: a payload body replaced)
            self._payload = None
        if body is None:
            self._body = None
        elif isinstance(body, bytes):
            self._body = body
        elif isinstance(body, (bytearray, memoryview)):
            self._body = bytes(body)
        elif isinstance(body, str):
            self._body = body.encode(self.charset or "utf-8")
            if _CONTENT_TYPE not in self._headers:
                self._headers[_CONTENT_TYPE] = "text/plain; charset=utf-8"
        else:
            self._set_payload(to_payload(body))

    def _set_payload(self, payload: Any) -> None:
        """A file, async iterator, multipart writer...: sent by ``write_eof`` as it is read
        (``response_body.send_payload``), with the payload's type and headers unless the
        response has its own."""
        self._payload = payload
        self._body = None
        headers = self._headers
        if _CONTENT_TYPE not in headers:
            headers[_CONTENT_TYPE] = payload.content_type
        for name, value in payload.headers.items():
            if name not in headers:
                headers[name] = value
        self._plain_version = -1  # not the short head path
        self._finishes_now = False  # nor the server's synchronous finish: it must await

    @property
    def text(self) -> str | None:
        if self._payload is not None:
            return str(self._payload.decode(self.charset or "utf-8"))
        if self._body is None:
            return None
        return self._body.decode(self.charset or "utf-8")

    @text.setter
    def text(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text argument must be str ({type(text)!r})")
        if _CONTENT_TYPE not in self._headers or self.content_type == "application/octet-stream":
            self._headers[_CONTENT_TYPE] = "text/plain; charset=utf-8"
        elif self.charset is None:  # text/html set before: say which charset the text has
            self._set_content_type(self.content_type, "utf-8")
        self._body = text.encode(self.charset or "utf-8")
