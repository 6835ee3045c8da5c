"""Building multipart bodies: ``MultipartWriter`` (re-exported by ``aioweb.multipart``).

``MultipartWriter`` builds multipart bodies (for responses, or for any client) from bytes,
text, JSON, url-encoded forms, files, payloads and nested writers; ``web.Response(body=writer)``
streams it (a Payload, written part by part with the connection's back-pressure), with
``Content-Length`` when every part's size is known. A boundary is checked with the same rules
the reading side applies, and CR/LF in a header value is refused, so a writer
cannot produce a body our own parser (or anyone's) would split differently.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import IO, Any
from urllib.parse import urlencode

from multidict import CIMultiDict

from aioweb.framework.payloads.base import Payload
from aioweb.http.disposition import format_disposition
from aioweb.http.multipart import MultipartError, MultipartParser, parse_options_header

__all__ = ["BodyPart", "MultipartWriter", "content_disposition_header"]


class BodyPart:
    """One part of a ``MultipartWriter``: headers and a body (bytes, file or nested writer)."""

    __slots__ = ("_body", "headers")

    def __init__(
        self, body: bytes | IO[bytes] | MultipartWriter | Payload, headers: CIMultiDict[str]
    ):
        # Any: a payload may also be one of aiohttp's (see _is_payload), checked by shape
        self._body: Any = body
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
        if _is_payload(body):  # (a MultipartWriter too)
            size = body.size
            return None if size is None else int(size)
        try:
            pos = int(body.tell())
            return os.fstat(body.fileno()).st_size - pos
        except (OSError, AttributeError, io.UnsupportedOperation):
            return None

    def _head(self) -> bytes:
        return b"".join(f"{k}: {v}\r\n".encode() for k, v in self.headers.items()) + b"\r\n"


def _is_payload(obj: Any) -> bool:
    """aioweb's ``Payload``, or one of the same shape (aiohttp's, in code mixing the two)."""
    if isinstance(obj, Payload):
        return True
    return all(hasattr(obj, name) for name in ("headers", "size", "write", "decode"))


def content_disposition_header(
    disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
) -> str:
    """aiohttp's helper of this name: a part's Content-Disposition, by the one formatter
    (``aioweb.http.disposition``). ``quote_fields`` percent-encodes what a quoted string
    cannot hold (and adds ``name*=`` for non-ASCII); without it, values go 8-bit as they are."""
    return format_disposition(
        disptype, params, fallback="percent" if quote_fields else "raw", charset=_charset
    )


class MultipartWriter(Payload):
    """Build a multipart body. ``with MultipartWriter("form-data") as mp: mp.append(...)``.

    A ``Payload`` (aiohttp's MultipartWriter is one too): ``Response(body=writer)`` streams it,
    and ``append_payload`` takes any payload as a part.
    """

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
        self._value = None
        self._filename = None
        self._encoding = None
        self._headers = CIMultiDict(
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

    def append_payload(self, payload: Any) -> Any:
        """Add a payload as a part, with its headers (and its Content-Length when known,
        outside form-data, where RFC 7578 §4.8 leaves it out)."""
        headers = payload.headers
        if self._subtype == "form-data":
            if "Content-Disposition" not in headers:
                payload.set_content_disposition("form-data", name=f"section-{len(self._parts)}")
        elif payload.size is not None and "Content-Encoding" not in headers:
            headers["Content-Length"] = str(payload.size)
        for k, v in headers.items():
            if any(c in k + v for c in "\r\n"):
                raise ValueError("CR/LF in a part header")
        self._parts.append(BodyPart(payload, headers))
        return payload

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The parts as text, each after its boundary line (aiohttp's form: no closing
        delimiter); in-memory parts only."""
        out = []
        for part in self._parts:
            body = part._body
            if isinstance(body, bytes) or _is_payload(body):
                text = body.decode(encoding, errors)
            else:
                raise TypeError("decode() does not read file parts")
            out.append(f"--{self._boundary}\r\n{part._head().decode(encoding, errors)}{text}")
        return "".join(out)

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
            elif _is_payload(body):
                yield await body.as_bytes()
            else:
                while chunk := body.read(chunk_size):
                    yield chunk
            yield b"\r\n"
        yield b"--" + b + b"--\r\n"

    async def write(self, writer: Any) -> None:
        """aiohttp's payload interface: ``await writer.write(chunk)`` for every piece."""
        b = self._boundary.encode()
        for part in self._parts:
            await writer.write(b"--" + b + b"\r\n" + part._head())
            body = part._body
            if _is_payload(body):  # streamed into the writer (back-pressure)
                await body.write(writer)
            elif isinstance(body, bytes):
                await writer.write(body)
            else:
                while chunk := body.read(256 * 1024):
                    await writer.write(chunk)
            await writer.write(b"\r\n")
        await writer.write(b"--" + b + b"--\r\n")

    def as_bytes(self, *, read_files: bool = False) -> bytes:  # type: ignore[override]
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
            elif _is_payload(body):
                raise TypeError("as_bytes() does not write payload parts; use iter_chunks()")
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
