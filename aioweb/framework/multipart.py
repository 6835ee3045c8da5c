"""Streaming multipart: ``MultipartReader`` / ``BodyPartReader`` (and ``MultipartWriter``).

The reader API is aiohttp's, so handlers written for ``aiohttp.web`` run unchanged::

    reader = await request.multipart()
    async for part in reader:                 # or: part = await reader.next()
        if part.filename:                     # a file: stream it, 8 KiB at a time by default
            while chunk := await part.read_chunk():
                f.write(chunk)
        else:
            value = await part.text()         # or read(decode=True), json(), form()

A part whose Content-Type is ``multipart/*`` comes back as a nested ``MultipartReader``.

Nothing is buffered beyond what the caller asks for: bytes are pulled from the request body
as ``next()``/``read_chunk()`` need them, so a 1 GiB upload streamed to disk keeps memory flat.
The wire format is parsed by ``aioweb.http.multipart`` (sans-IO).

Errors are the client's: a malformed body raises ``MultipartError``, which is at once an
``HTTPBadRequest`` (so a handler that does not catch it answers **400**, not 500) and a
``ValueError`` (so code written for aiohttp, which raises ``ValueError``, still catches it).
A part decoded past its limit raises ``PayloadTooLarge``: an ``HTTPRequestEntityTooLarge``
(**413**) and a ``ValueError``. Both come the same way from ``request.post()`` and from
``request.multipart()``.

Limits (class attributes of ``MultipartReader``, so a subclass or an assignment changes them):
``max_part_header_size`` / ``max_part_headers`` for each part's header block, and
``max_nesting`` for ``multipart/*`` parts inside parts. Without the last, a body of a few
hundred nested ``multipart/mixed`` parts drives the reader (and ``post()``, which walks them)
into ``RecursionError``.

``read_form()`` (in ``multipart_form``, which builds on this module; ``aioweb.multipart``
re-exports both) is the engine of ``request.post()`` for multipart bodies: text fields become
``str``, file fields become ``FileField`` objects whose ``file`` is a temporary file on disk.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy

from aioweb.framework.exceptions import HTTPBadRequest, HTTPRequestEntityTooLarge
from aioweb.framework.multipart_writer import BodyPart, MultipartWriter, content_disposition_header
from aioweb.http.content_coding import request_codings
from aioweb.http.decoding import BodyDecoder, DecodedBodyTooLarge, DecodingError
from aioweb.http.disposition import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    content_disposition_filename,
    parse_content_disposition,
)
from aioweb.http.errors import HttpProcessingError, describe_too_large
from aioweb.http.multipart import (
    END,
    NEED_DATA,
    PART_END,
    MultipartParser,
    PartHeaders,
    parse_options_header,
)
from aioweb.http.multipart import MultipartError as WireMultipartError
from aioweb.http.multipart import PartHeaderTooLong as WirePartHeaderTooLong
from aioweb.http.multipart import TooManyPartHeaders as WireTooManyPartHeaders

__all__ = [
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BodyPart",
    "BodyPartReader",
    "MultipartError",
    "MultipartReader",
    "MultipartWriter",
    "PartHeaderTooLong",
    "PayloadTooLarge",
    "TooManyPartHeaders",
    "content_disposition_filename",
    "content_disposition_header",
    "parse_content_disposition",
]


class _Readable(Protocol):
    async def readany(self) -> bytes: ...


class MultipartError(HTTPBadRequest, WireMultipartError):
    """A malformed multipart body: a 400 when uncaught, and still a ``ValueError``.

    ``str(exc)`` is the reason (as for the wire parser's error); the 400's body says it too.
    """

    def __init__(self, message: str) -> None:
        HTTPBadRequest.__init__(self, text=f"Malformed multipart body: {message}")
        self.args = (message,)

    def __str__(self) -> str:
        return str(self.args[0])


class _AiohttpHeaderLimit(MultipartError):
    """A part header limit: a ``MultipartError`` (400 when uncaught, a ``ValueError``) that
    is also the error aiohttp raises there (``LineTooLong``/``BadHttpMessage``), with its
    ``code``, ``message`` and text, so ``except LineTooLong`` in ported code still works.
    The response attributes (``status``, ``headers``) stay the 400's.
    """

    message: str

    def __init__(self, error: HttpProcessingError) -> None:
        MultipartError.__init__(self, error.message)
        self.message = error.message
        self.args = error.args

    def __str__(self) -> str:
        return HttpProcessingError.__str__(self)  # type: ignore[arg-type]


# (type: ignore: the response's read-only ``status`` and its ``headers`` win over the wire
# error's attributes of those names, on purpose: the exception is sent as that 400)
class PartHeaderTooLong(_AiohttpHeaderLimit, WirePartHeaderTooLong):  # type: ignore[misc, override]
    """A part header line over ``max_part_field_size`` (aiohttp's ``LineTooLong``)."""


class TooManyPartHeaders(_AiohttpHeaderLimit, WireTooManyPartHeaders):  # type: ignore[misc, override]
    """More than ``max_part_headers`` header lines in a part (aiohttp's ``BadHttpMessage``)."""


def _from_wire(exc: WireMultipartError) -> MultipartError:
    """The framework's error for a wire parser's: a 400, of aiohttp's type where it has one."""
    if isinstance(exc, WirePartHeaderTooLong):
        return PartHeaderTooLong(exc)
    if isinstance(exc, WireTooManyPartHeaders):
        return TooManyPartHeaders(exc)
    return MultipartError(str(exc))


class PayloadTooLarge(HTTPRequestEntityTooLarge, ValueError):
    """A form or a decoded part exceeded its size limit: a 413, and still a ``ValueError``."""

    def __init__(self, max_size: int, actual: int | None = None) -> None:
        HTTPRequestEntityTooLarge.__init__(
            self,
            max_size=max_size,
            actual_size=max_size + 1 if actual is None else actual,
            text=describe_too_large(max_size, actual),
        )
        self.args = (f"form body exceeds {max_size} bytes",)
        self.max_size = max_size
        self.actual = actual

    def __str__(self) -> str:
        return str(self.args[0])


class _UnknownCharset(MultipartError, LookupError):
    """A part names a charset Python does not know (400; a ``LookupError`` as in aiohttp)."""


def _content_disposition(headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    value = headers.get("Content-Disposition")
    if value is None:
        return "", {}
    return parse_options_header(value)


class BodyPartReader:
    """One part of a multipart body, read incrementally."""

    chunk_size = 8192
    #: Upper bound on what ``decode()`` may inflate a part's Content-Encoding to.
    max_decoded_size = 64 * 1024 * 1024

    def __init__(
        self, headers: Any, reader: Any, content: Any = None, **aiohttp_options: Any
    ) -> None:
        # aiohttp's form is BodyPartReader(boundary, headers, content, *, subtype=...): the
        # boundary is the reader's business here, so it is dropped.
        if content is not None:
            headers, reader = reader, content
        self.headers = headers
        self._reader = reader
        self._pending = b""  # body bytes pulled from the parser; unread from _pos on
        self._pos = 0
        self._at_eof = False
        self._disposition: tuple[str, dict[str, str]] | None = None

    @property
    def _params(self) -> dict[str, str]:
        if self._disposition is None:
            self._disposition = _content_disposition(self.headers)
        return self._disposition[1]

    # --- metadata ---------------------------------------------------------------------------

    @property
    def name(self) -> str | None:
        """The ``name`` of the Content-Disposition (the form field's name)."""
        return self._params.get("name")

    @property
    def filename(self) -> str | None:
        """The ``filename`` of the Content-Disposition, as sent (``filename*`` decoded).

        It comes from the client: never join it to a directory without validating it.
        """
        return self._params.get("filename")

    def get_charset(self, default: str) -> str:
        _, params = parse_options_header(self.headers.get("Content-Type", ""))
        return params.get("charset", default)

    def at_eof(self) -> bool:
        return self._at_eof

    # --- reading ----------------------------------------------------------------------------

    async def _fill(self) -> bool:
        """Get more body bytes into ``_pending``; False at the end of the part."""
        if self._at_eof:
            return False
        ev = await self._reader._event()
        if ev is PART_END:
            self._at_eof = True
            self._reader._part_done()
            return False
        assert isinstance(ev, bytes)
        self._pending = ev
        self._pos = 0
        return True

    def _take(self, size: int) -> bytes:
        """Up to ``size`` unread bytes of ``_pending``; the rest stays, unread and uncopied."""
        data, pos = self._pending, self._pos
        end = pos + size
        if end >= len(data):
            self._pending = b""
            self._pos = 0
            return data[pos:] if pos else data
        self._pos = end
        return data[pos:end]

    async def read_chunk(self, size: int = chunk_size) -> bytes:
        """Up to ``size`` bytes of the (undecoded) body; b"" once the part is exhausted."""
        if self._pos >= len(self._pending) and not await self._fill():
            return b""
        return self._take(size)

    async def readany(self) -> bytes:
        """Whatever is available (at least one byte unless at the end): the stream API that
        lets a nested MultipartReader read from this part."""
        if self._pos >= len(self._pending) and not await self._fill():
            return b""
        return self._take(len(self._pending))

    async def read(self, *, decode: bool = False) -> bytearray:
        """The rest of the part's body; with ``decode=True``, transfer/content decoding undone.

        A part of a request's body is held in memory whole here, so it is bounded by the
        request's ``client_max_size`` as ``request.read()`` is: past it, a 413 (as aiohttp).
        """
        limit = self._reader._request_max_size
        data = bytearray(self._take(len(self._pending)))
        while await self._fill():
            data += self._pending
            self._pending = b""
            if limit and len(data) > limit:
                break
        if limit and len(data) > limit:
            raise PayloadTooLarge(limit, len(data))
        if decode:
            return bytearray(self.decode(bytes(data)))
        return data

    async def readline(self) -> bytes:
        """One line including its ``\\n`` (or what remains of the part)."""
        line = bytearray()
        while True:
            if self._pos >= len(self._pending) and not await self._fill():
                return bytes(line)
            i = self._pending.find(b"\n", self._pos)
            if i >= 0:
                line += self._take(i + 1 - self._pos)
                return bytes(line)
            line += self._take(len(self._pending))

    async def release(self) -> None:
        """Skip the rest of this part."""
        self._pending = b""
        self._pos = 0
        while await self._fill():
            self._pending = b""

    async def text(self, *, encoding: str | None = None) -> str:
        data = await self.read(decode=True)
        return self._text(data, encoding)

    async def json(self, *, encoding: str | None = None) -> Any:
        """The part as JSON; a part that is not JSON is the client's error: ``MultipartError``
        (400, a ``ValueError`` as ``json.loads``'s errors are), also for nesting so deep that
        the decoder gives up with ``RecursionError``."""
        data = await self.read(decode=True)
        if not data:
            return None
        text = self._text(data, encoding)
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise MultipartError(f"part {self.name!r} is not valid JSON: {exc}") from None

    async def form(self, *, encoding: str | None = None) -> list[tuple[str, str]]:
        data = await self.read(decode=True)
        if not data:
            return []
        charset = encoding or self.get_charset("utf-8")
        return parse_qsl(
            self._text(data.rstrip(), charset), keep_blank_values=True, encoding=charset
        )

    def _text(self, data: bytes | bytearray, encoding: str | None) -> str:
        """Bytes as text in the part's charset. Bytes that are not in the charset their part
        names, or a charset nobody knows, are the client's error: 400 rather than 500, still
        a ``ValueError`` (``UnicodeDecodeError`` is one) or a ``LookupError``."""
        charset = encoding or self.get_charset("utf-8")
        try:
            return data.decode(charset)
        except LookupError:
            raise _UnknownCharset(f"unknown charset {charset!r} in part {self.name!r}") from None
        except UnicodeDecodeError as exc:
            raise MultipartError(f"part {self.name!r} is not valid {charset}: {exc}") from None

    def decode(self, data: bytes) -> bytes:
        """Undo Content-Transfer-Encoding (base64, quoted-printable) then Content-Encoding.

        The decoded size is bounded by ``max_decoded_size`` and, for a part of a request's
        body, by the app's ``client_max_size``: past it, ``PayloadTooLarge`` (413), raised as
        soon as the codec produces the byte past the limit, so a small gzip "bomb" costs no
        more memory than the limit.
        """
        return b"".join(self.iter_decode(data, self._decode_limit()))

    def _decode_limit(self) -> int:
        limit = self._reader._request_max_size
        return min(limit, self.max_decoded_size) if limit else self.max_decoded_size

    def iter_decode(self, data: bytes, limit: int, step: int = 65536) -> Iterator[bytes]:
        """``decode(data)`` in pieces of at most ``step`` bytes, never more than ``limit`` in
        a content coding may produce: what ``request.post()`` uses to spool a compressed file
        part to disk."""
        cte = self.headers.get("Content-Transfer-Encoding", "").strip().lower()
        if cte == "base64":
            try:
                data = base64.b64decode(b"".join(data.split()), validate=True)
            except binascii.Error as exc:
                raise MultipartError(f"invalid base64 part body: {exc}") from None
        elif cte == "quoted-printable":
            data = binascii.a2b_qp(data)
        elif cte not in ("", "binary", "8bit", "7bit"):
            raise MultipartError(f"unknown Content-Transfer-Encoding: {cte!r}")
        codings = request_codings(self.headers.getall("Content-Encoding", ()))
        if not codings:
            # No amplification: the bytes are already in memory, and only Content-Encoding
            # can make a part bigger than what the client sent.
            if data:
                yield data
            return
        try:
            decoder = BodyDecoder(codings, limit)
            yield from decoder.iter_decompress(data, step)
            if tail := decoder.flush():
                yield tail
        except DecodedBodyTooLarge:
            raise PayloadTooLarge(limit) from None
        except DecodingError as exc:
            raise MultipartError(str(exc)) from None

    # aiohttp compatibility: iterating a part yields its whole body once.
    async def next(self) -> bytearray | None:
        item = await self.read()
        return item or None

    def __aiter__(self) -> AsyncIterator[bytearray]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[bytearray]:
        item = await self.next()
        if item is not None:
            yield item

    def __repr__(self) -> str:
        return f"<BodyPartReader name={self.name!r} filename={self.filename!r}>"


class MultipartReader:
    """Reads the parts of a ``multipart/*`` body from a stream with ``readany()``."""

    #: limits handed to the wire parser: bytes and lines of one part's header block, bytes
    #: of one header line (aiohttp's ``max_field_size``; its ``max_headers`` is 128)
    max_part_header_size = 16384
    max_part_headers = 64
    max_part_field_size = 8190
    #: how deep ``multipart/*`` parts may nest inside parts (RFC 2388's multipart/mixed in a
    #: form is one level); deeper is a 400, before the reader recurses any further
    max_nesting = 16
    #: set by ``request.multipart()``/``post()``: the app's ``client_max_size``, which also
    #: bounds what a part's Content-Encoding may inflate to (0: only ``max_decoded_size``)
    _request_max_size = 0
    #: set by ``request.post()``: raw body bytes the reader may pull (the whole body,
    #: preamble, headers and delimiters included), so a chunked body cannot run on forever
    _raw_limit = 0
    _depth = 0
    #: the part class (aiohttp lets subclasses override these)
    part_reader_cls: type[BodyPartReader] = BodyPartReader
    multipart_reader_cls: type[MultipartReader] | None = None

    def __init__(
        self,
        headers: Mapping[str, str],
        content: _Readable,
        *,
        max_field_size: int | None = None,
        max_headers: int | None = None,
    ) -> None:
        # aiohttp's keywords for the part header limits; the class attributes otherwise
        if max_field_size is not None:
            self.max_part_field_size = max_field_size
        if max_headers is not None:
            self.max_part_headers = max_headers
        self.headers = headers
        ctype, params = parse_options_header(headers.get("Content-Type", ""))
        if not ctype.startswith("multipart/"):
            raise MultipartError(f"not a multipart body: {ctype or 'no Content-Type'}")
        boundary = params.get("boundary")
        if not boundary:
            raise MultipartError("multipart Content-Type without a boundary")
        self._content = content
        try:
            self._parser = MultipartParser(
                boundary,
                max_header_size=self.max_part_header_size,
                max_headers=self.max_part_headers,
                max_field_size=self.max_part_field_size,
            )
        except WireMultipartError as exc:
            raise MultipartError(str(exc)) from None
        self._last_part: BodyPartReader | MultipartReader | None = None
        self._at_eof = False
        self._raw_read = 0
        self._eof_fed = False

    def at_eof(self) -> bool:
        return self._at_eof

    # --- a nested reader where the handler expects a plain part ------------------------------

    _outer_part: BodyPartReader | None = None

    @property
    def name(self) -> str | None:
        """The form field name of a nested reader's part (``None`` at the top level)."""
        return self._outer_part.name if self._outer_part is not None else None

    @property
    def filename(self) -> str | None:
        return self._outer_part.filename if self._outer_part is not None else None

    if not TYPE_CHECKING:

        def __getattr__(self, attr: str) -> Any:
            """A handler written like the cheat sheet's (``async for part in reader: await
            part.read_chunk()``) meets a nested reader when the client sends a
            ``multipart/*`` part. That is the client's choice of shape, so reading it as a
            plain part is a 400 that says why, not an ``AttributeError`` and a 500."""
            if attr in _PART_ONLY:
                raise MultipartError(
                    f"part {self.name!r} is itself multipart "
                    f"({self.headers.get('Content-Type', '')!r}) where a plain part was expected"
                )
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")

    async def _event(self) -> PartHeaders | bytes | object:
        """The parser's next event, reading the stream as it needs; wire errors become
        ``MultipartError`` (400) here, in the one place every read goes through."""
        parser = self._parser
        try:
            while True:
                ev = parser.next_event()
                if ev is not NEED_DATA:
                    return ev
                data = await self._content.readany()
                if data:
                    self._raw_read += len(data)
                    if self._raw_limit and self._raw_read > self._raw_limit:
                        raise PayloadTooLarge(self._raw_limit, self._raw_read)
                    parser.feed(data)
                elif self._eof_fed:
                    # The parser asked for more after the end: never spin on an empty read.
                    raise MultipartError("truncated multipart body")
                else:
                    parser.feed_eof()
                    self._eof_fed = True
        except WireMultipartError as exc:
            if isinstance(exc, MultipartError):
                raise
            raise _from_wire(exc) from None

    def _part_done(self) -> None:
        self._last_part = None

    async def next(self) -> BodyPartReader | MultipartReader | None:
        """The next part (a nested reader for ``multipart/*`` parts), or None at the end.

        An unread previous part is skipped first, as in aiohttp.
        """
        if self._at_eof:
            return None
        if self._last_part is not None:
            await self._last_part.release()
            if isinstance(self._last_part, MultipartReader):
                await self._finish_nested(self._last_part)
            self._last_part = None
        ev = await self._event()
        if ev is END:
            self._at_eof = True
            return None
        assert isinstance(ev, PartHeaders)
        headers = CIMultiDictProxy(CIMultiDict(ev.headers))
        part = self.part_reader_cls(headers, self)
        ctype = headers.get("Content-Type", "")
        if ctype[:10].lower() == "multipart/":
            if self._depth >= self.max_nesting:
                raise MultipartError(f"multipart parts nested deeper than {self.max_nesting}")
            cls = self.multipart_reader_cls or type(self)
            nested = cls(headers, part)
            nested._outer_part = part
            nested._depth = self._depth + 1
            nested._request_max_size = self._request_max_size
            self._last_part = nested
            return nested
        self._last_part = part
        return part

    async def _finish_nested(self, nested: MultipartReader) -> None:
        outer = nested._outer_part
        if outer is not None:
            await outer.release()  # the epilogue of the nested body, if any

    async def release(self) -> None:
        """Skip every remaining part."""
        while (part := await self.next()) is not None:
            await part.release()

    def __aiter__(self) -> AsyncIterator[BodyPartReader | MultipartReader]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[BodyPartReader | MultipartReader]:
        while (part := await self.next()) is not None:
            yield part


MultipartReader.multipart_reader_cls = MultipartReader
_PART_ONLY = frozenset(
    ("read_chunk", "readany", "read", "readline", "text", "json", "form", "decode", "get_charset")
)
