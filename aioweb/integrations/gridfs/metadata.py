"""What the GridFS handler reads from a files document: type, validators, disposition.

Kept apart from the handler so the serving code (``serve.py``) and the handler class only
carry out what these functions and the shared planner (``aioweb.http.representation``)
decide.
"""

from __future__ import annotations

import datetime
import hashlib
import mimetypes
import re
from collections.abc import Mapping
from typing import Any, Final

from bson import ObjectId

from aioweb.http.disposition import format_disposition
from aioweb.http.etag import ETag

__all__ = ["FileView", "content_disposition", "gridout_etag", "resolve_content_type"]

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


class FileView:
    """The GridOut attributes the handler reads, over a files document it must not change.

    Used when every hook is the default one, so no user code receives it; the document may be
    shared by several requests (see ``LookupCoalescer``) and is only read.
    """

    __slots__ = ("_file",)

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._file = document

    @property
    def _id(self) -> Any:
        return self._file["_id"]

    @property
    def filename(self) -> str | None:
        return self._file.get("filename")

    @property
    def length(self) -> int:
        return self._file.get("length") or 0

    @property
    def chunk_size(self) -> int:
        return self._file.get("chunkSize") or 0

    @property
    def upload_date(self) -> datetime.datetime:
        return self._file.get("uploadDate")  # type: ignore[return-value]

    @property
    def metadata(self) -> Any:
        return self._file.get("metadata")

    @property
    def content_type(self) -> Any:
        return self._file.get("contentType")


def resolve_content_type(gridout: Any, filename: str) -> str:
    """``metadata.contentType``, then the deprecated top-level ``contentType``, then a guess
    from the stored filename (or the URL's), then ``application/octet-stream``.

    A stored value with control characters is ignored: it came from whoever uploaded the file
    and must not be able to split the response head.
    """
    document = _file_document(gridout)
    if document is not None:
        metadata = document.get("metadata")
        legacy = document.get("contentType")
    else:
        metadata = gridout.metadata
        legacy = gridout.content_type
    candidates = []
    if isinstance(metadata, Mapping):
        candidates.append(metadata.get("contentType"))
    candidates.append(legacy)
    for value in candidates:
        if isinstance(value, str) and value and not _CONTROL.search(value):
            return value
    for name in (gridout.filename, filename):
        if isinstance(name, str) and name:
            guessed, _ = mimetypes.guess_type(name, strict=False)
            if guessed:
                return guessed
    return "application/octet-stream"


def _file_document(gridout: Any) -> Mapping[str, Any] | None:
    """The files document behind a GridOut, read without the deprecated ``content_type``
    property (PyMongo keeps it in ``_file``; Motor wraps a PyMongo GridOut in ``delegate``)."""
    for obj in (gridout, getattr(gridout, "delegate", None)):
        document = getattr(obj, "_file", None) if obj is not None else None
        if isinstance(document, Mapping):
            return document
    return None


def gridout_etag(file_id: Any, length: int, upload_date: datetime.datetime) -> ETag:
    """A strong entity tag computed from the files document alone.

    GridFS never rewrites a file's chunks in place: new content means a new ``_id`` (and a new
    ``uploadDate``). So ``_id`` + ``length`` + ``uploadDate`` (milliseconds, as stored) name
    the exact bytes, which is what a strong validator promises, and ranges may use it.
    """
    if isinstance(file_id, ObjectId):
        ident = str(file_id)
    else:
        ident = hashlib.blake2b(repr(file_id).encode(), digest_size=12).hexdigest()
    if upload_date.tzinfo is None:
        upload_date = upload_date.replace(tzinfo=datetime.UTC)
    millis = int(upload_date.timestamp() * 1000)
    return ETag(f"{ident}-{length:x}-{millis:x}")


def content_disposition(kind: str, filename: str) -> str:
    """A Content-Disposition value (RFC 6266) that survives any filename: the last path
    segment of the stored name (``download`` if none), formatted by the wire layer's one
    formatter with the ``_`` fallback (``filename`` for old clients, ``filename*`` with the
    exact name for current browsers; see ``aioweb.http.disposition``)."""
    name = filename.rsplit("/", 1)[-1] or "download"
    return format_disposition(kind, {"filename": name})
