"""Streaming multipart: ``MultipartReader`` / ``BodyPartReader`` / ``MultipartWriter``.

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
The wire format is parsed by ``aioweb.http.multipart`` (sans-IO); any malformation raises
``MultipartError`` (a ``ValueError``), which ``request.post()`` turns into 400.

``read_form()`` is the engine of ``request.post()`` for multipart bodies: text fields become
``str``, file fields become ``FileField`` objects whose ``file`` is a temporary file on disk.

``MultipartWriter`` builds multipart bodies (for responses, or for any client) from bytes,
text, JSON, url-encoded forms, files and nested writers; ``web.Response(body=writer)`` sends
it, with ``Content-Length`` when every part's size is known.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import IO, Any, Protocol
from urllib.parse import parse_qsl, quote, urlencode

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from .http.decoding import BodyDecoder, DecodingError
from .http.multipart import (
    END,
    NEED_DATA,
    PART_END,
    MultipartError,
    MultipartParser,
    PartHeaders,
    parse_options_header,
)

__all__ = [
    "BodyPartReader",
    "MultipartError",
    "MultipartReader",
    "MultipartWriter",
    "PayloadTooLarge",
    "read_form",
]


class _Readable(Protocol):
    async def readany(self) -> bytes: ...


class PayloadTooLarge(ValueError):
    """A form exceeded its size limit (answer 413)."""

    def __init__(self, max_size: int, actual: int | None = None) -> None:
        super().__init__(f"form body exceeds {max_size} bytes")
        self.max_size = max_size
        self.actual = actual


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

    def __init__(self, headers: CIMultiDictProxy[str], reader: MultipartReader) -> None:
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
        """The rest of the part's body; with ``decode=True``, transfer/content decoding undone."""
        data = bytearray(self._take(len(self._pending)))
        while await self._fill():
            data += self._pending
            self._pending = b""
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
        return data.decode(encoding or self.get_charset("utf-8"))

    async def json(self, *, encoding: str | None = None) -> Any:
        data = await self.read(decode=True)
        if not data:
            return None
        return json.loads(data.decode(encoding or self.get_charset("utf-8")))

    async def form(self, *, encoding: str | None = None) -> list[tuple[str, str]]:
        data = await self.read(decode=True)
        if not data:
            return []
        charset = encoding or self.get_charset("utf-8")
        return parse_qsl(data.rstrip().decode(charset), keep_blank_values=True, encoding=charset)

    def decode(self, data: bytes) -> bytes:
        """Undo Content-Transfer-Encoding (base64, quoted-printable) then Content-Encoding."""
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
        ce = self.headers.get("Content-Encoding", "").strip()
        if ce and ce.lower() != "identity":
            try:
                decoder = BodyDecoder(ce, self.max_decoded_size)
                data = decoder.decompress(data) + decoder.flush()
            except DecodingError as exc:
                raise MultipartError(str(exc)) from exc
        return data

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

    #: limits handed to the wire parser
    max_part_header_size = 16384
    max_part_headers = 64
    #: the part class (aiohttp lets subclasses override these)
    part_reader_cls: type[BodyPartReader] = BodyPartReader
    multipart_reader_cls: type[MultipartReader] | None = None

    def __init__(self, headers: Mapping[str, str], content: _Readable) -> None:
        self.headers = headers
        ctype, params = parse_options_header(headers.get("Content-Type", ""))
        if not ctype.startswith("multipart/"):
            raise MultipartError(f"not a multipart body: {ctype or 'no Content-Type'}")
        boundary = params.get("boundary")
        if not boundary:
            raise MultipartError("multipart Content-Type without a boundary")
        self._content = content
        self._parser = MultipartParser(
            boundary,
            max_header_size=self.max_part_header_size,
            max_headers=self.max_part_headers,
        )
        self._last_part: BodyPartReader | MultipartReader | None = None
        self._at_eof = False

    def at_eof(self) -> bool:
        return self._at_eof

    async def _event(self) -> PartHeaders | bytes | object:
        parser = self._parser
        while True:
            ev = parser.next_event()
            if ev is not NEED_DATA:
                return ev
            data = await self._content.readany()
            if data:
                parser.feed(data)
            else:
                parser.feed_eof()

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
            cls = self.multipart_reader_cls or type(self)
            nested = cls(headers, part)
            nested._outer_part = part  # type: ignore[attr-defined]
            self._last_part = nested
            return nested
        self._last_part = part
        return part

    async def _finish_nested(self, nested: MultipartReader) -> None:
        outer: BodyPartReader | None = getattr(nested, "_outer_part", None)
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


# --- request.post() for multipart bodies -----------------------------------------------------


async def read_form(
    source: Any,
    *,
    max_size: int | None = None,
    max_fields: int = 1000,
    spool_dir: str | None = None,
) -> MultiDictProxy[Any]:
    """Read a whole ``multipart/form-data`` body into a MultiDictProxy, as ``post()`` does.

    ``source`` is a request (its headers, body stream and ``client_max_size`` are used, and
    errors become ``HTTPBadRequest`` / ``HTTPRequestEntityTooLarge``) or a ``MultipartReader``
    (errors stay ``MultipartError`` / ``PayloadTooLarge``).

    Text fields (no filename) are decoded with their charset (or ``_charset_`` sent by the
    browser, else UTF-8) into ``str``; a field with a non-text Content-Type and no filename
    stays ``bytes``. Fields with a filename are streamed to a temporary file and given as
    ``FileField``. ``max_size`` bounds the sum of all decoded field bodies, files included;
    ``max_fields`` bounds the number of parts, since each costs memory even when empty.
    """
    if isinstance(source, MultipartReader):
        if max_size is None:
            raise TypeError("max_size is required when reading from a MultipartReader")
        return await _read_form(source, max_size, max_fields, spool_dir)
    from .exceptions import HTTPBadRequest

    limit = source.client_max_size if max_size is None else max_size
    declared = source.content_length
    if limit and declared is not None and declared > limit:
        raise source._too_large(declared)
    try:
        reader = MultipartReader(source.headers, source.content)
        return await _read_form(reader, limit or 2**62, max_fields, spool_dir)
    except PayloadTooLarge as exc:
        raise source._too_large(exc.actual or limit + 1) from None
    except MultipartError as exc:
        raise HTTPBadRequest(text=f"Malformed multipart body: {exc}") from None


async def _read_form(
    reader: MultipartReader, max_size: int, max_fields: int, spool_dir: str | None
) -> MultiDictProxy[Any]:
    from .request import FileField

    out: MultiDict[Any] = MultiDict()
    total = 0
    count = 0
    charset = "utf-8"

    async def field_parts(
        reader: MultipartReader, outer_name: str | None
    ) -> AsyncIterator[tuple[str, BodyPartReader]]:
        async for part in reader:
            if isinstance(part, MultipartReader):
                # RFC 2388's multipart/mixed for several files under one field name
                disp = _content_disposition(part.headers)[1]
                async for inner in field_parts(part, disp.get("name", outer_name)):
                    yield inner
                continue
            name = part.name if part.name is not None else outer_name
            if name is None:
                raise MultipartError("form-data part without a name")
            yield name, part

    try:
        async for name, part in field_parts(reader, None):
            count += 1
            if count > max_fields:
                raise MultipartError(f"more than {max_fields} form fields")
            ctype = part.headers.get("Content-Type")
            if part.filename is not None:
                tmp = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115 - returned to the caller
                try:
                    cte = part.headers.get("Content-Transfer-Encoding", "").lower()
                    needs_decode = cte in ("base64", "quoted-printable") or (
                        part.headers.get("Content-Encoding", "identity").lower() != "identity"
                    )
                    if needs_decode:
                        data = await part.read(decode=True)
                        total += len(data)
                        if total > max_size:
                            raise PayloadTooLarge(max_size, total)
                        tmp.write(data)
                    else:
                        while chunk := await part.readany():
                            total += len(chunk)
                            if total > max_size:
                                raise PayloadTooLarge(max_size, total)
                            tmp.write(chunk)
                    tmp.seek(0)
                except BaseException:
                    tmp.close()
                    raise
                out.add(
                    name,
                    FileField(
                        name=name,
                        filename=part.filename,
                        file=tmp,
                        content_type=ctype or "application/octet-stream",
                        headers=part.headers,
                    ),
                )
                continue
            raw = bytearray()
            while chunk := await part.readany():
                raw += chunk
                if total + len(raw) > max_size:
                    raise PayloadTooLarge(max_size, total + len(raw))
            value = part.decode(bytes(raw))
            total += len(value)
            if total > max_size:
                raise PayloadTooLarge(max_size, total)
            if name == "_charset_" and ctype is None:
                charset = value.decode("ascii", "replace").strip() or charset
                continue
            if ctype is None or ctype.lower().startswith("text/"):
                try:
                    out.add(name, value.decode(part.get_charset(charset)))
                except (LookupError, UnicodeDecodeError) as exc:
                    raise MultipartError(f"undecodable form field {name!r}: {exc}") from None
            else:
                out.add(name, value)
    except BaseException:
        for v in out.values():
            if isinstance(v, FileField):
                v.file.close()
        raise
    return MultiDictProxy(out)


# --- MultipartWriter --------------------------------------------------------------------------


class BodyPart:
    """One part of a ``MultipartWriter``: headers and a body (bytes, file or nested writer)."""

    __slots__ = ("_body", "headers")

    def __init__(self, body: bytes | IO[bytes] | MultipartWriter, headers: CIMultiDict[str]):
        self._body = body
        self.headers = headers

    def set_content_disposition(
        self, disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
    ) -> None:
        """Set Content-Disposition; non-ASCII values are sent both as UTF-8 ``name*=`` and
        percent-quoted in the plain parameter (what aiohttp and browsers do)."""
        self.headers["Content-Disposition"] = content_disposition_header(
            disptype, quote_fields=quote_fields, _charset=_charset, **params
        )

    @property
    def size(self) -> int | None:
        body = self._body
        if isinstance(body, bytes):
            return len(body)
        if isinstance(body, MultipartWriter):
            return body.size
        try:
            pos = body.tell()
            end = os.fstat(body.fileno()).st_size
            return end - pos
        except (OSError, AttributeError, io.UnsupportedOperation):
            return None

    def _head(self) -> bytes:
        return b"".join(f"{k}: {v}\r\n".encode() for k, v in self.headers.items()) + b"\r\n"


def content_disposition_header(
    disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
) -> str:
    for ch in disptype:
        if ch in '()<>@,;:\\"/[]?={} \t\r\n' or not ch.isascii():
            raise ValueError(f"bad content disposition type {disptype!r}")
    out = [disptype]
    for key, val in params.items():
        if "\r" in val or "\n" in val:
            raise ValueError("CR/LF in Content-Disposition parameter")
        if quote_fields:
            safe = quote(val, safe="/ !#$&'()*+,:;<=>?@[]^`{|}~")
            out.append(f'{key}="{safe}"')
            if not val.isascii():
                out.append(f"{key}*={_charset}''{quote(val, safe='', encoding=_charset)}")
        else:
            out.append(f'{key}="{val.replace(chr(92), chr(92) * 2).replace(chr(34), "%22")}"')
    return "; ".join(out)


class MultipartWriter:
    """Build a multipart body. ``with MultipartWriter("form-data") as mp: mp.append(...)``."""

    def __init__(self, subtype: str = "mixed", boundary: str | None = None) -> None:
        boundary = boundary if boundary is not None else uuid.uuid4().hex
        try:
            MultipartParser(boundary)  # same validation as the reading side
        except MultipartError:
            raise ValueError(f"invalid boundary {boundary!r}") from None
        if not subtype or any(c in subtype for c in '\r\n;"/ '):
            raise ValueError(f"invalid multipart subtype {subtype!r}")
        self._boundary = boundary
        self._subtype = subtype
        self._parts: list[BodyPart] = []
        self.headers = CIMultiDict(
            [("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')]
        )

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __iter__(self) -> Iterator[BodyPart]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def __bool__(self) -> bool:
        return True

    @property
    def boundary(self) -> str:
        return self._boundary

    @property
    def content_type(self) -> str:
        return self.headers["Content-Type"]

    def append(self, obj: Any, headers: Mapping[str, str] | None = None) -> BodyPart:
        """Add a part: bytes-like, str (text/plain; UTF-8), a binary file, or a writer."""
        h = CIMultiDict(headers or {})
        if isinstance(obj, MultipartWriter):
            h.setdefault("Content-Type", obj.content_type)
            body: bytes | IO[bytes] | MultipartWriter = obj
        elif isinstance(obj, str):
            _, params = parse_options_header(h.get("Content-Type", ""))
            charset = params.get("charset", "utf-8")
            h.setdefault("Content-Type", f"text/plain; charset={charset}")
            body = obj.encode(charset)
        elif isinstance(obj, bytes | bytearray | memoryview):
            h.setdefault("Content-Type", "application/octet-stream")
            body = bytes(obj)
        elif hasattr(obj, "read"):
            h.setdefault("Content-Type", "application/octet-stream")
            fname = getattr(obj, "name", None)
            if isinstance(fname, str) and "Content-Disposition" not in h:
                h["Content-Disposition"] = content_disposition_header(
                    "attachment", filename=os.path.basename(fname)
                )
            body = obj
        else:
            raise TypeError(f"cannot append {type(obj).__name__} to a MultipartWriter")
        for k, v in h.items():
            if any(c in k + v for c in "\r\n"):
                raise ValueError("CR/LF in a part header")
        part = BodyPart(body, h)
        self._parts.append(part)
        return part

    def append_json(self, obj: Any, headers: Mapping[str, str] | None = None) -> BodyPart:
        h = CIMultiDict(headers or {})
        h.setdefault("Content-Type", "application/json")
        return self.append(json.dumps(obj).encode(), h)

    def append_form(
        self,
        obj: Mapping[str, str] | Iterable[tuple[str, str]],
        headers: Mapping[str, str] | None = None,
    ) -> BodyPart:
        h = CIMultiDict(headers or {})
        h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        items = list(obj.items()) if isinstance(obj, Mapping) else list(obj)
        return self.append(urlencode(items, doseq=True).encode(), h)

    @property
    def size(self) -> int | None:
        """Exact body size, or None if some part's size is unknown (then chunked is used)."""
        delim = len(self._boundary) + 4  # "--" boundary CRLF
        total = 0
        for part in self._parts:
            size = part.size
            if size is None:
                return None
            total += delim + len(part._head()) + size + 2
        return total + len(self._boundary) + 6  # "--" boundary "--" CRLF

    async def iter_chunks(self, chunk_size: int = 256 * 1024) -> AsyncIterator[bytes]:
        """The encoded body, piece by piece (files are read in ``chunk_size`` blocks)."""
        b = self._boundary.encode()
        for part in self._parts:
            yield b"--" + b + b"\r\n" + part._head()
            body = part._body
            if isinstance(body, bytes):
                yield body
            elif isinstance(body, MultipartWriter):
                async for chunk in body.iter_chunks(chunk_size):
                    yield chunk
            else:
                while chunk := body.read(chunk_size):
                    yield chunk
            yield b"\r\n"
        yield b"--" + b + b"--\r\n"

    async def write(self, writer: Any) -> None:
        """aiohttp's payload interface: ``await writer.write(chunk)`` for every piece."""
        async for chunk in self.iter_chunks():
            await writer.write(chunk)

    def as_bytes(self, *, read_files: bool = False) -> bytes:
        """The whole body in memory. File parts are read (synchronously) only when
        ``read_files`` is true; otherwise they raise TypeError: stream them instead."""
        out = bytearray()
        b = self._boundary.encode()
        for part in self._parts:
            out += b"--" + b + b"\r\n" + part._head()
            body = part._body
            if isinstance(body, bytes):
                out += body
            elif isinstance(body, MultipartWriter):
                out += body.as_bytes(read_files=read_files)
            elif read_files:
                out += body.read()
            else:
                raise TypeError("as_bytes() does not read file parts; use iter_chunks()")
            out += b"\r\n"
        out += b"--" + b + b"--\r\n"
        return bytes(out)

    def _in_memory(self) -> bool:
        return all(
            isinstance(p._body, bytes)
            or (isinstance(p._body, MultipartWriter) and p._body._in_memory())
            for p in self._parts
        )

    def __aioweb_body__(self) -> tuple[str, bytes | AsyncIterator[bytes]]:
        """For aioweb's client: the body in one piece, or streamed when it holds files."""
        if self._in_memory():
            return self.content_type, self.as_bytes()
        return self.content_type, self.iter_chunks()

    def __aioweb_response_body__(self) -> tuple[str, bytes]:
        """For ``web.Response(body=writer)``: the whole body (file parts are read now).

        To stream large files instead, prepare a ``StreamResponse`` with
        ``Content-Type: writer.content_type`` and ``await writer.write(response)``.
        """
        return self.content_type, self.as_bytes(read_files=True)
