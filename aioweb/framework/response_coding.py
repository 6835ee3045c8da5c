"""Content codings of a response body: which ones exist, the compressor that applies one, and
the negotiation that picks it when the head is built.

Kept apart from ``response.py`` because none of it runs for a response that is not
compressed (the common case the compiled hot path is tuned for).
"""

from __future__ import annotations

import importlib
import warnings
import zlib
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, istr

from aioweb.framework.response_short import leave_short
from aioweb.http.content_coding import ZSTD_MODULE, available_codings, best_coding

if TYPE_CHECKING:
    from aioweb.framework.request import BaseRequest

try:  # optional
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

__all__ = ["CompressionMixin", "Compressor", "ContentCoding"]

_CONTENT_LENGTH = istr("Content-Length")
_CONTENT_ENCODING = istr("Content-Encoding")
_TRANSFER_ENCODING = istr("Transfer-Encoding")


class ContentCoding:
    """Content codings ``enable_compression`` can apply (RFC 9110 §8.4.1)."""

    deflate = "deflate"
    gzip = "gzip"
    br = "br"
    zstd = "zstd"
    identity = "identity"


class _ZstdStream:
    """A zstd frame written piece by piece, with whichever zstd module is installed."""

    def __init__(self) -> None:
        module = importlib.import_module(ZSTD_MODULE or "zstandard")
        if ZSTD_MODULE == "zstandard":
            self._obj: Any = module.ZstdCompressor().compressobj()
            self._end: Any = None
        else:  # compression.zstd / backports.zstd
            self._obj = module.ZstdCompressor()
            self._end = module.ZstdCompressor.FLUSH_FRAME

    def process(self, data: bytes) -> bytes:
        return bytes(self._obj.compress(data))

    def finish(self) -> bytes:
        if self._end is None:
            return bytes(self._obj.flush())
        return bytes(self._obj.flush(self._end))


class Compressor:
    """Streaming compressor for one response."""

    def __init__(self, coding: str, level: int | None = None) -> None:
        self.coding = coding
        self._brotli: Any = None
        self._zlib: Any = None
        if coding == ContentCoding.br:
            self._brotli = brotli.Compressor()
        elif coding == ContentCoding.zstd:
            self._brotli = _ZstdStream()  # (the same process/finish shape)
        else:
            wbits = 16 + zlib.MAX_WBITS if coding == ContentCoding.gzip else zlib.MAX_WBITS
            self._zlib = zlib.compressobj(level if level is not None else 6, wbits=wbits)

    def compress(self, data: bytes) -> bytes:
        if self._zlib is not None:
            return bytes(self._zlib.compress(data))
        return bytes(self._brotli.process(data))

    def flush(self) -> bytes:
        if self._zlib is not None:
            return bytes(self._zlib.flush())
        return bytes(self._brotli.finish())


class CompressionMixin:
    """``StreamResponse``'s compression switch and the coding choice made at ``prepare``.

    The state lives on the response (class defaults in ``StreamResponse``); a change here ends
    ``Response``'s short head path (``_short = None``), which writes no coding.
    """

    _headers: CIMultiDict[str]
    _chunked: bool
    _compression: bool
    _compression_force: str | None
    _compressor: Compressor | None
    _body: bytes | None
    _short: Any

    @property
    def compression(self) -> bool:
        return self._compression

    def enable_compression(
        self, force: str | bool | None = None, strategy: int | None = None
    ) -> None:
        """Compress the body with the best coding the client accepts (or ``force``).

        ``force`` must be a coding this server can produce: an unknown one would send bytes
        labelled with a coding they are not in (the client decodes garbage).  A bool is
        aiohttp's old spelling (True: deflate, False: identity), deprecated there too.
        """
        if isinstance(force, bool):
            warnings.warn(
                "Using boolean for force is deprecated #3318", DeprecationWarning, stacklevel=2
            )
            force = ContentCoding.deflate if force else ContentCoding.identity
        elif force is not None:
            force = getattr(force, "value", force)  # (an enum member, as aiohttp's)
            if force not in (*available_codings(), ContentCoding.identity):
                raise ValueError(f"unsupported content coding {force!r}")
        self._compression = True
        self._compression_force = force
        leave_short(self)

    def _start_compression(self, request: BaseRequest) -> None:
        coding = self._compression_force
        if coding is None:
            _vary_accept_encoding(self._headers)
            coding = best_coding(request.headers.get("Accept-Encoding"))
        if coding is None or coding == ContentCoding.identity:
            return
        if _CONTENT_ENCODING in self._headers:
            return  # already encoded by the application
        self._compressor = Compressor(coding)
        self._headers[_CONTENT_ENCODING] = coding
        if not self._chunked:
            # The announced length is the uncompressed one: dropped.  HTTP/1.0 has no
            # chunks, so there the body ends with the connection.
            self._headers.pop(_CONTENT_LENGTH, None)
            if request.version >= (1, 1):
                self._chunked = True

    def _start_compression_whole(self, request: BaseRequest) -> None:
        """``Response``: a body known in full is compressed at once, so it keeps a
        Content-Length."""
        self._start_compression(request)
        compressor = self._compressor
        if compressor is None:
            return
        self._compressor = None
        self._body = compressor.compress(self._body or b"") + compressor.flush()
        self._compression = False
        if self._chunked and _CONTENT_LENGTH not in self._headers:
            self._chunked = False
            self._headers.pop(_TRANSFER_ENCODING, None)


def _vary_accept_encoding(headers: CIMultiDict[str]) -> None:
    """Add ``Accept-Encoding`` to Vary once (the handler, or a sibling file, may have)."""
    for value in headers.getall("Vary", ()):
        for name in value.split(","):
            if name.strip().lower() in ("accept-encoding", "*"):
                return
    headers.add("Vary", "Accept-Encoding")
