"""Content-Type of a file from its name: the one table that file responses, static files and
the compression middleware share (a module of its own so that the compression middleware needs
no file-response import to type a file's body).
"""

from __future__ import annotations

import functools
import mimetypes
import os
from typing import Final

__all__ = ["guess_type"]

if not mimetypes.inited:
    mimetypes.init()
# A few types the system table may lack or get wrong, and that matter for browsers.
for _ext, _type in {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".woff2": "font/woff2",
    ".md": "text/markdown",
}.items():
    mimetypes.add_type(_type, _ext)


_COMPRESSED_TYPES: Final = {
    "gzip": "application/gzip",
    "br": "application/x-brotli",
    "zstd": "application/zstd",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
}


def guess_type(path: str) -> str:
    """Content-Type from a file name; ``application/octet-stream`` when unknown.

    ``data.tar.gz`` *is* gzip data: it is typed ``application/gzip`` rather than announced
    with ``Content-Encoding: gzip``, which would make browsers unpack the download.
    """
    return _guess_by_name(os.path.basename(path))


@functools.lru_cache(maxsize=2048)
def _guess_by_name(name: str) -> str:
    # Only the name's suffixes matter, so the answer is cached per name (mimetypes parses
    # the name anew on every call).
    ctype, encoding = mimetypes.guess_type(name, strict=False)
    if encoding:
        return _COMPRESSED_TYPES.get(encoding, "application/octet-stream")
    return ctype or "application/octet-stream"
