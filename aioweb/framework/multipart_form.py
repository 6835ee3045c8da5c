"""``read_form()``: a whole ``multipart/form-data`` body as ``request.post()`` returns it.

Re-exported by ``aioweb.multipart``. Text fields become ``str``, file fields ``FileField``
records whose ``file`` is a spooled temporary file: kept in memory up to 1 MiB (a small upload
costs no file descriptor, and one the handler forgets to close is simply collected), on disk
past that. Everything that costs memory, disk or time is bounded: the raw body and the decoded
fields by ``client_max_size`` (413), the number of parts by ``client_max_fields`` (413, as in
aiohttp 3.14), and each compressed part is decoded in pieces against what is left of the limit,
so a gzip "bomb" is refused after about the limit, not after inflating.
"""

from __future__ import annotations

import tempfile
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy

from aioweb.framework.multipart import (
    BodyPartReader,
    MultipartError,
    MultipartReader,
    PayloadTooLarge,
    _content_disposition,
)
from aioweb.framework.urlencoded_form import too_many_fields
from aioweb.http.content_coding import request_codings

__all__ = ["FileField", "read_form"]

#: A file field's bytes stay in memory up to this size, then go to a temporary file (aiohttp's).
FILE_SPOOL_MAX_SIZE = 1024**2


@dataclass(frozen=True, slots=True)
class FileField:
    """A file sent in a ``multipart/form-data`` form, as ``request.post()`` gives it.

    A frozen record with named fields, as aiohttp's (not a tuple: it does not unpack or index).
    """

    name: str
    filename: str
    file: Any
    content_type: str
    headers: CIMultiDictProxy[str]


async def read_form(
    source: Any,
    *,
    max_size: int | None = None,
    max_fields: int | None = None,
    spool_dir: str | None = None,
) -> MultiDictProxy[Any]:
    """Read a whole ``multipart/form-data`` body into a MultiDictProxy, as ``post()`` does.

    ``source`` is a request (its headers, body stream and ``client_max_size`` are used) or a
    ``MultipartReader``. Errors are ``MultipartError`` (400) and ``HTTPRequestEntityTooLarge``
    (413; ``PayloadTooLarge`` when reading from a ``MultipartReader``).

    Text fields (no filename) are decoded with their charset (or ``_charset_`` sent by the
    browser, else UTF-8) into ``str``; a field with a non-text Content-Type and no filename
    stays ``bytes``. Fields with a filename are streamed to a temporary file and given as
    ``FileField``. ``max_size`` bounds the sum of all decoded field bodies, files included,
    and, for a request, the raw body as well (preamble, part headers and delimiters cost
    memory and time too, and a chunked body has no Content-Length to refuse up front);
    ``max_fields`` (default: the request's ``client_max_fields``, else 1000; 0 or less: no
    limit) bounds the number of parts, since each costs memory even when empty.
    """
    if isinstance(source, MultipartReader):
        if max_size is None:
            raise TypeError("max_size is required when reading from a MultipartReader")
        fields = 1000 if max_fields is None else max_fields
        return await _read_form(source, max_size, fields, spool_dir)
    if max_fields is None:
        max_fields = source.client_max_fields
    limit = source.client_max_size if max_size is None else max_size
    declared = source.content_length
    if limit and declared is not None and declared > limit:
        raise source._too_large(declared)
    try:
        reader = MultipartReader(source.headers, source.content)
        reader._request_max_size = source.client_max_size
        reader._raw_limit = limit
        form = await _read_form(reader, limit or 2**62, max_fields, spool_dir)
    except PayloadTooLarge as exc:
        raise source._too_large(exc.actual or limit + 1) from None
    files = [v.file for v in form.values() if isinstance(v, FileField)]
    if files:
        # The files are the request's: closed when it is done with (as aiohttp closes them when
        # the request finishes), so a handler that never closes one leaks no descriptor and no
        # "unclosed file" warning. A file needed after the request must be copied (as in
        # aiohttp), or the request kept.
        weakref.finalize(source, _close_all, files)
    return form


def _close_all(files: list[Any]) -> None:
    for file in files:
        file.close()


async def _read_form(
    reader: MultipartReader, max_size: int, max_fields: int, spool_dir: str | None
) -> MultiDictProxy[Any]:
    out: MultiDict[Any] = MultiDict()
    total = 0
    count = 0
    charset = "utf-8"

    try:
        async for name, part in _field_parts(reader, None):
            count += 1
            if 0 < max_fields < count:
                raise too_many_fields(max_fields)
            ctype = part.headers.get("Content-Type")
            if part.filename is not None:
                tmp, total = await _spool(part, spool_dir, total, max_size)
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
            raw = await _read_raw(part, max_size - total, max_size)
            value = b"".join(_decoded(part, raw, max_size - total, max_size))
            total += len(value)
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


async def _field_parts(
    reader: MultipartReader, outer_name: str | None
) -> AsyncIterator[tuple[str, BodyPartReader]]:
    """Each field's (name, part), nested ``multipart/mixed`` parts flattened under their
    field's name (RFC 2388 §5.1: several files sent under one name)."""
    async for part in reader:
        if isinstance(part, MultipartReader):
            disp = _content_disposition(part.headers)[1]
            async for inner in _field_parts(part, disp.get("name", outer_name)):
                yield inner
            continue
        name = part.name if part.name is not None else outer_name
        if name is None:
            raise MultipartError("Multipart field missing name.")
        yield name, part


async def _spool(
    part: BodyPartReader, spool_dir: str | None, total: int, max_size: int
) -> tuple[Any, int]:
    """A file field's body written to a spooled temporary file (returned at offset 0), with
    the form's running total of decoded bytes; past ``max_size`` in all, 413."""
    tmp = tempfile.SpooledTemporaryFile(FILE_SPOOL_MAX_SIZE, dir=spool_dir)  # noqa: SIM115
    try:
        if _needs_decode(part.headers):
            # Decoded in pieces straight into the file: an inflating part costs its raw
            # bytes plus one piece of memory, and stops at the limit.
            raw = await _read_raw(part, max_size - total, max_size)
            for piece in _decoded(part, raw, max_size - total, max_size):
                total += len(piece)
                tmp.write(piece)
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
    return tmp, total


def _needs_decode(headers: CIMultiDictProxy[str]) -> bool:
    cte = headers.get("Content-Transfer-Encoding", "").strip().lower()
    return cte in ("base64", "quoted-printable") or bool(
        request_codings(headers.getall("Content-Encoding", ()))
    )


async def _read_raw(part: BodyPartReader, budget: int, max_size: int) -> bytes:
    """The whole undecoded body of ``part``, refused past what is left of the form's budget."""
    raw = bytearray()
    while chunk := await part.readany():
        raw += chunk
        if len(raw) > budget:
            raise PayloadTooLarge(max_size, max_size - budget + len(raw))
    return bytes(raw)


def _decoded(part: BodyPartReader, raw: bytes, budget: int, max_size: int) -> Iterator[bytes]:
    """``part``'s decoded body in pieces, at most ``budget`` bytes (the 413 names the form's
    limit, ``max_size``, not what was left of it)."""
    try:
        yield from part.iter_decode(raw, min(budget, part.max_decoded_size))
    except PayloadTooLarge:
        raise PayloadTooLarge(max_size) from None
