"""Stream a request body straight into GridFS: the upload helper.

The body is never held whole: each piece read from the connection goes to a ``ChunkWriter``,
which keeps at most one chunk plus one insert batch in memory. The size limit is enforced from
the first byte (a declared ``Content-Length`` over the limit is refused before anything is
read), and on any failure — limit exceeded, client gone, malformed multipart, database error —
the chunks already written are deleted, so no orphaned half-file is left behind. The files
document is inserted only at the very end, so readers never see a partial file.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from aioweb.framework.exceptions import HTTPBadRequest, HTTPRequestEntityTooLarge
from aioweb.framework.request import Request
from aioweb.integrations.gridfs.chunks import DEFAULT_BATCH_BYTES, DEFAULT_CHUNK_SIZE, ChunkWriter
from aioweb.server.log import gridfs_logger as log

__all__ = ["DEFAULT_MAX_UPLOAD_SIZE", "MAX_FILENAME_LENGTH", "receive_upload"]


DEFAULT_MAX_UPLOAD_SIZE: Final = 100 * 1024 * 1024
MAX_FILENAME_LENGTH: Final = 1024
_READ_SIZE: Final = 256 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_filename(name: str | None) -> str:
    if not name:
        raise HTTPBadRequest(text="the upload has no filename")
    if len(name) > MAX_FILENAME_LENGTH or _CONTROL.search(name):
        raise HTTPBadRequest(text="the upload's filename is too long or has control characters")
    return name


def _clean_type(value: str | None) -> str | None:
    if value and len(value) <= 255 and not _CONTROL.search(value):
        return value
    return None


async def receive_upload(
    request: Request,
    files: Any,
    chunks: Any,
    *,
    filename: str | None = None,
    field: str = "file",
    max_size: int = DEFAULT_MAX_UPLOAD_SIZE,
    metadata: Mapping[str, Any] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
) -> Any:
    """Store the file in ``request``'s body; return the new GridFS file's ``_id``.

    A ``multipart/form-data`` body is searched for the part named ``field`` (other parts are
    skipped); its filename and Content-Type are kept unless ``filename``/``metadata`` say
    otherwise. Any other body is the file itself; its name comes from ``filename`` or the
    ``?filename=`` query parameter, its type from the request's Content-Type.

    Errors: 400 (no file part, no or bad filename), 413 (over ``max_size``).
    """
    read: Callable[[], Awaitable[bytes]]
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                raise HTTPBadRequest(text=f"the form has no file field {field!r}")
            if getattr(part, "name", None) == field and hasattr(part, "read_chunk"):
                break
        name = _check_filename(filename or part.filename)
        content_type = _clean_type(part.headers.get("Content-Type"))

        def read() -> Awaitable[bytes]:
            chunk: Awaitable[bytes] = part.read_chunk(_READ_SIZE)
            return chunk

    else:
        declared = request.content_length
        if declared is not None and declared > max_size:
            raise HTTPRequestEntityTooLarge.for_limit(max_size, declared)
        name = _check_filename(filename or request.query.get("filename"))
        content_type = _clean_type(request.headers.get("Content-Type"))
        read = request.content.readany

    meta = dict(metadata) if metadata else {}
    if content_type and "contentType" not in meta:
        meta["contentType"] = content_type
    writer = ChunkWriter(
        files,
        chunks,
        name,
        chunk_size=chunk_size,
        metadata=meta or None,
        batch_bytes=batch_bytes,
    )
    try:
        while data := await read():
            size = writer.length + len(data)
            if size > max_size:
                raise HTTPRequestEntityTooLarge.for_limit(max_size, size)
            await writer.write(data)
        return await writer.close()
    except BaseException:
        await _abort(writer)
        raise


async def _abort(writer: ChunkWriter) -> None:
    # Shielded: when the handler is being cancelled (client gone), the clean-up still runs
    # to completion instead of being cancelled at its first await.
    try:
        await asyncio.shield(writer.abort())
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("could not remove the chunks of an aborted GridFS upload %r", writer.file_id)
