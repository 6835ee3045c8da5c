"""Listing and deleting stored files: thin helpers over the bucket's two collections."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["StoredFile", "delete_file", "list_files"]


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One GridFS file's document, with the fields named as in Python."""

    id: Any
    filename: str | None
    length: int
    chunk_size: int
    upload_date: datetime.datetime
    content_type: str | None
    metadata: Mapping[str, Any] | None = field(default=None)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> StoredFile:
        metadata = doc.get("metadata")
        content_type = None
        if isinstance(metadata, Mapping):
            content_type = metadata.get("contentType")
        return cls(
            id=doc["_id"],
            filename=doc.get("filename"),
            length=int(doc.get("length", 0)),
            chunk_size=int(doc.get("chunkSize", 0)),
            upload_date=doc.get("uploadDate"),  # type: ignore[arg-type]
            content_type=content_type or doc.get("contentType"),
            metadata=metadata,
        )


async def list_files(
    files: Any,
    filter: Mapping[str, Any] | None = None,
    *,
    sort: Sequence[tuple[str, int]] = (("uploadDate", -1),),
    skip: int = 0,
    limit: int = 100,
) -> list[StoredFile]:
    """Files matching ``filter`` (a query on the files collection), newest first by default.

    ``limit`` is required to be positive: an unbounded listing of a large bucket is never
    what an HTTP handler wants.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    cursor = files.find(dict(filter or {}), sort=list(sort), skip=skip, limit=limit)
    return [StoredFile.from_document(doc) async for doc in cursor]


async def delete_file(files: Any, chunks: Any, file_id: Any) -> bool:
    """Delete a file and its chunks; False when there was no such file.

    The files document goes first, so the file disappears for readers at once; orphaned
    chunks (from a crash between the two deletes) are harmless and removed by a retry.
    """
    result = await files.delete_one({"_id": file_id})
    await chunks.delete_many({"files_id": file_id})
    return bool(result.deleted_count)
